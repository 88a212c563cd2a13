import Foundation
import GSSA
import GSSAArchive
import GSSAServer
import GSSATestSupport
import Testing
import NIOHTTP1

/// The server against the real launch daemon and dockerd, with the `gssa/python` image.
/// Serialized: these share the host's container slots.
@Suite("Server on the real daemon and dockerd", .serialized, .requiresDockerEngine, .requiresImages(RealDaemon.image),
       RealDaemon.requiresRunner)
struct RealDaemonTests {
    @Test("full lifecycle: launch, events in order, results bundle with the run's output and image ID")
    func lifecycle() async throws {
        try await RealDaemon.with { daemon in
            try await TestServer.withServer(launcher: daemon.launcher, data: daemon.data) { server in
                let guid = newGUID()
                let finalized = try await server.submit(guid: guid, xml: try TestServer.fixture("demo.xml"), token: server.alice,
                                                        archive: try TestServer.demoArchive())
                #expect(finalized.status == .ok, "\(String(decoding: finalized.body, as: UTF8.self))")
                let recorder = await EventRecorder.connect(base: server.base, token: server.alice, until: guid)
                #expect(try await server.start(guid: guid, token: server.alice).status == .accepted)
                let events = try await recorder.finish().filter { $0.guid == guid }
                #expect(events.last?.type == .complete, "\(events.map { "\($0.type) \($0.status?.message ?? "")" })")
                let messages = events.compactMap { $0.type == .status ? $0.status?.message : nil }
                // The demo's own progress lines arrive, in the order the script sent them.
                let expected = ["cooling from 37.0", "curve written", "done"]
                let indices = expected.compactMap { messages.firstIndex(of: $0) }
                #expect(indices.count == 3 && indices == indices.sorted(), "\(messages)")
                let states = events.compactMap(\.state)
                #expect(states.first == .queued && states.last == .succeeded && states.contains(.running))

                let summary = try await server.summary(guid, token: server.alice)
                #expect(summary.exitStatus?.code == .success)
                #expect(summary.imageID?.hasPrefix("sha256:") == true)
                let bundle = try await server.request(.GET, "/api/v1/simulations/\(guid)/results", token: server.alice)
                let url = scratchDirectory("real-bundle").appendingPathComponent("results.tar.gz")
                try bundle.body.write(to: url)
                let extracted = scratchDirectory("real-extract")
                let names = try TarGzReader.extract(url, into: extracted).map(\.name)
                let summaryJSON = names.first { $0.hasSuffix("/summary.json") }
                #expect(summaryJSON != nil, "\(names)")
                if let summaryJSON {
                    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: extracted.appendingPathComponent(summaryJSON))) as? [String: Any]
                    #expect(object?["tumours"] as? [String] == ["tumour-1"])
                }
                #expect(names.contains("\(guid)/output/logs/exit_status"))
                let image = try String(contentsOf: extracted.appendingPathComponent("\(guid)/simimage.txt"), encoding: .utf8)
                #expect(image.trimmingCharacters(in: .whitespacesAndNewlines) == summary.imageID)

                let diagnostic = try await server.request(.GET, "/api/v1/simulations/\(guid)/diagnostic", token: server.alice)
                let diagnosticURL = scratchDirectory("real-diag").appendingPathComponent("diagnostic.tar.gz")
                try diagnostic.body.write(to: diagnosticURL)
                let diagnosticNames = Set(try TarGzReader.members(of: diagnosticURL).map(\.name))
                #expect(diagnosticNames.contains("\(guid)/input/glossia-simimage.txt"))
                #expect(diagnosticNames.contains("\(guid)/input/parameters.yml"))
                #expect(diagnosticNames.contains("\(guid)/logs/job.out"))
                let logs = try await server.request(.GET, "/api/v1/simulations/\(guid)/logs?only=stdout", token: server.alice).decode(API.Logs.self)
                #expect(logs.stdout != nil && logs.stderr == nil)
            }
        }
    }

    @Test("cancel mid-run: the container is destroyed and the run ends E_CANCELLED")
    func cancelMidRun() async throws {
        try await RealDaemon.with { daemon in
            try await TestServer.withServer(launcher: daemon.launcher, data: daemon.data) { server in
                let guid = newGUID()
                try await server.submit(guid: guid, xml: try TestServer.sleepDefinition(steps: 120, sleep: 0.5), token: server.alice)
                let recorder = await EventRecorder.connect(base: server.base, token: server.alice, until: guid)
                _ = try await server.start(guid: guid, token: server.alice)
                var spins = 0
                while await !recorder.events.contains(where: { $0.guid == guid && $0.status?.message == "step 2" }), spins < 600 {
                    try await Task.sleep(for: .milliseconds(100))
                    spins += 1
                }
                let cancel = try await server.request(.POST, "/api/v1/simulations/\(guid)/cancel", token: server.alice)
                #expect(cancel.status == .ok)
                let summary = try await server.waitTerminal(guid, token: server.alice, seconds: 60)
                #expect(summary.state == .cancelled)
                #expect(summary.exitStatus?.code == .cancelled)
                let events = try await recorder.finish(seconds: 10)
                #expect(events.last { $0.guid == guid }?.type == .fail)
                // The cancel settles the run at once; the container goes within the daemon's stop grace.
                let key = try await runKey(guid, in: server.store)
                #expect(await eventually(30) { (try? await daemon.launcher.state(guid: key)) != .running })
            }
        }
    }

    @Test("kill -9 of the server mid-run, then a restart: the run is re-attached and completes")
    func killAndRestart() async throws {
        try await RealDaemon.with { daemon in
            let token = APIToken.generate()
            let store = try SQLiteSimulationStore(path: ServerConfiguration(dataDirectory: daemon.data).databasePath)
            try await store.addUser(UserRecord(name: "alice", tokenDigest: APIToken.digest(token), admin: false))
            let port = try ServerProcess.freePort()
            let remote = RemoteServer(base: "http://127.0.0.1:\(port)")
            let first = try ServerProcess(data: daemon.data, socket: daemon.socket, port: port)
            try await first.waitReady(server: remote)
            let guid = newGUID()
            try await remote.submit(guid: guid, xml: try TestServer.sleepDefinition(steps: 12, sleep: 0.5), token: token)
            _ = try await remote.start(guid: guid, token: token)
            var spins = 0
            while try await remote.summary(guid, token: token).status.message?.hasPrefix("step") != true, spins < 600 {
                try await Task.sleep(for: .milliseconds(100))
                spins += 1
            }
            first.kill9()
            #expect(try await daemon.launcher.state(guid: try await runKey(guid, in: store)) == .running)
            let second = try ServerProcess(data: daemon.data, socket: daemon.socket, port: port)
            defer { second.terminate() }
            try await second.waitReady(server: remote)
            let summary = try await remote.waitTerminal(guid, token: token, seconds: 120)
            #expect(summary.state == .succeeded, "\(String(describing: summary.exitStatus))")
            #expect(summary.exitStatus?.code == .success)
            let bundle = try await remote.request(.GET, "/api/v1/simulations/\(guid)/results", token: token)
            let url = scratchDirectory("restart-bundle").appendingPathComponent("results.tar.gz")
            try bundle.body.write(to: url)
            #expect(try TarGzReader.members(of: url).contains { $0.name.hasSuffix("/result.txt") })
        }
    }

    @Test("40 runs with the daemon capped at 30: all complete, none fails for capacity")
    func queueOverCap() async throws {
        try await RealDaemon.with(maxContainers: 30) { daemon in
            try await TestServer.withServer(launcher: daemon.launcher, data: daemon.data) { server in
                let xml = try TestServer.sleepDefinition(steps: 4, sleep: 1)
                var guids: [String] = []
                for _ in 0..<40 {
                    let guid = newGUID()
                    try await server.submit(guid: guid, xml: xml, token: server.alice)
                    guids.append(guid)
                }
                for guid in guids { _ = try await server.start(guid: guid, token: server.alice) }
                var sawQueued = false
                for _ in 0..<50 {
                    let search = try await server.request(.GET, "/api/v1/simulations?limit=100", token: server.alice).decode(API.SearchResult.self)
                    if search.simulations.contains(where: { $0.state == .queued && $0.position != nil }) {
                        sawQueued = true
                        break
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(sawQueued)
                for guid in guids {
                    let summary = try await server.waitTerminal(guid, token: server.alice, seconds: 600)
                    #expect(summary.state == .succeeded, "\(guid): \(String(describing: summary.exitStatus))")
                    #expect(summary.exitStatus?.message.contains("Too many containers") != true)
                }
            }
        }
    }

    @Test("Docker+CGAL: `gssa server` meshes the fenics example with CGAL on the host, then runs it in gssa/fenics",
          .requiresImages("gssa/fenics:bookworm"))
    func fenicsWithHostMeshing() async throws {
        try await RealDaemon.with(images: [RealDaemon.image, "gssa/fenics:bookworm"]) { daemon in
            let token = APIToken.generate()
            let store = try SQLiteSimulationStore(path: ServerConfiguration(dataDirectory: daemon.data).databasePath)
            try await store.addUser(UserRecord(name: "alice", tokenDigest: APIToken.digest(token), admin: false))
            let port = try ServerProcess.freePort()
            let remote = RemoteServer(base: "http://127.0.0.1:\(port)")
            let server = try ServerProcess(data: daemon.data, socket: daemon.socket, port: port)
            defer { server.terminate() }
            try await server.waitReady(server: remote)
            let guid = newGUID()
            let finalized = try await remote.submit(guid: guid, xml: try TestServer.fixture("fenics-ire/definition.xml"), token: token,
                                                    archive: try HostMeshingTests.fenicsArchive())
            #expect(finalized.status == .ok, "\(String(decoding: finalized.body, as: UTF8.self))")
            let recorder = await EventRecorder.connect(base: remote.base, token: token, until: guid)
            _ = try await remote.start(guid: guid, token: token)
            let events = try await recorder.finish(seconds: 900).filter { $0.guid == guid }
            let messages = events.compactMap { $0.status?.message }
            #expect(messages.contains { $0.hasPrefix("Meshing done") }, "\(messages)")
            let summary = try await remote.summary(guid, token: token)
            #expect(summary.state == .succeeded, "\(String(describing: summary.exitStatus)) \(messages)")
            let directory = URL(fileURLWithPath: summary.directory)
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("input/input.msh").path))
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("input/mesh_labelling.yml").path))
            let metrics = String(decoding: try await remote.request(.GET, "/metrics", token: nil).body, as: UTF8.self)
            #expect(metrics.contains("gssa_meshing_seconds_count 1"))
        }
    }
}
