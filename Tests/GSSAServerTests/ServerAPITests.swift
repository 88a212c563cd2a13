import Foundation
import GSSA
import GSSAArchive
import GSSAServer
import GSSAServerTesting
import LaunchProtocol
import Testing
import NIOCore
import NIOHTTP1

/// The HTTP API over loopback, with the in-memory launcher standing in for the daemon.
@Suite("Server API (in-memory launcher)")
struct ServerAPITests {
    @Test("full lifecycle: events in order, results bundle with output and image ID")
    func lifecycle() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let guid = newGUID()
            let finalized = try await server.submit(guid: guid, xml: try TestServer.fixture("demo.xml"), token: server.alice,
                                                    archive: try TestServer.demoArchive())
            #expect(finalized.status == .ok, "\(String(decoding: finalized.body, as: UTF8.self))")
            let directory = URL(fileURLWithPath: try finalized.decode(SimulationSummary.self).directory)
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("input/tumour-1.stl").path))
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("original.xml").path))
            let mode = try FileManager.default.attributesOfItem(atPath: directory.path)[.posixPermissions] as? Int
            #expect(mode == 0o770)

            let recorder = await EventRecorder.connect(base: server.base, token: server.alice, until: guid)
            let started = try await server.start(guid: guid, token: server.alice)
            #expect(started.status == .accepted)
            let events = try await recorder.finish().filter { $0.guid == guid }
            let kinds = events.map(\.type)
            #expect(kinds.last == .complete)
            #expect(kinds.filter { $0 == .complete || $0 == .fail }.count == 1)
            let states = events.compactMap(\.state)
            #expect(states.first == .queued)
            let order: [SimulationState] = [.queued, .starting, .running, .succeeded]
            #expect(order.allSatisfy(states.contains))
            #expect(zip(order, order.dropFirst()).allSatisfy { a, b in states.firstIndex(of: a)! < states.lastIndex(of: b)! })
            #expect(events.contains { $0.type == .status && $0.status?.message == "Solving" && $0.percentage == 50 })

            let summary = try await server.summary(guid, token: server.alice)
            #expect(summary.state == .succeeded)
            #expect(summary.exitStatus?.code == .success)
            #expect(summary.imageID == "sha256:in-memory")

            let bundle = try await server.request(.GET, "/api/v1/simulations/\(guid)/results", token: server.alice)
            #expect(bundle.status == .ok)
            #expect(bundle.contentType == "application/gzip")
            let url = scratchDirectory("bundle").appendingPathComponent("results.tar.gz")
            try bundle.body.write(to: url)
            let names = Set(try TarGzReader.members(of: url).map(\.name))
            for name in ["original.xml", "guid", "simimage.txt", "output/result.txt", "output/logs/exit_status", "diagnostic_missing.txt"] {
                #expect(names.contains("\(guid)/\(name)"), "missing \(name) in \(names.sorted())")
            }
            let extracted = scratchDirectory("extract")
            try TarGzReader.extract(url, into: extracted)
            let image = try String(contentsOf: extracted.appendingPathComponent("\(guid)/simimage.txt"), encoding: .utf8)
            #expect(image.trimmingCharacters(in: .whitespacesAndNewlines) == "sha256:in-memory")

            let stored = try await server.request(.GET, "/api/v1/simulations/\(guid)/events", token: server.alice).decode(API.Events.self)
            #expect(stored.events.last?.kind == "complete")
            #expect(stored.events.first?.kind == "announce")
        }
    }

    @Test("no token or a wrong token: 401; the API version needs none")
    func authentication() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let none = try await server.request(.GET, "/api/v1/simulations", token: nil)
            #expect(none.status == .unauthorized)
            #expect(none.errorCode == "E_CLIENT")
            let wrong = try await server.request(.GET, "/api/v1/simulations", token: "gssa_wrong")
            #expect(wrong.status == .unauthorized)
            let initWithout = try await server.request(.POST, "/api/v1/simulations/\(newGUID())/init", token: nil)
            #expect(initWithout.status == .unauthorized)
            let version = try await server.request(.GET, "/api/v1/api", token: nil)
            #expect(version.status == .ok)
            #expect(try version.decode(API.Version.self).version == ServerConfiguration.currentAPIVersion)
        }
    }

    @Test("user B gets 404 on user A's run; an admin sees it")
    func isolation() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let guid = newGUID()
            try await server.submit(guid: guid, xml: try TestServer.sleepDefinition(steps: 1, sleep: 0), token: server.alice)
            for path in ["", "/logs", "/properties", "/results", "/diagnostic"] {
                let reply = try await server.request(.GET, "/api/v1/simulations/\(guid)\(path)", token: server.bob)
                #expect(reply.status == .notFound, "GET \(path)")
            }
            #expect(try await server.request(.POST, "/api/v1/simulations/\(guid)/cancel", token: server.bob).status == .notFound)
            #expect(try await server.request(.DELETE, "/api/v1/simulations/\(guid)", token: server.bob).status == .notFound)
            let bobSearch = try await server.request(.GET, "/api/v1/simulations", token: server.bob).decode(API.SearchResult.self)
            #expect(bobSearch.simulations.isEmpty)
            let adminView = try await server.request(.GET, "/api/v1/simulations/\(guid)", token: server.admin)
            #expect(adminView.status == .ok)
            #expect(try adminView.decode(SimulationSummary.self).owner == "alice")

            // Events: bob sees none of alice's, the admin sees them all.
            let bobEvents = await EventRecorder.connect(base: server.base, token: server.bob, until: nil)
            let adminEvents = await EventRecorder.connect(base: server.base, token: server.admin, until: guid)
            let aliceEvents = await EventRecorder.connect(base: server.base, token: server.alice, until: guid)
            _ = try await server.start(guid: guid, token: server.alice)
            let seenByAlice = try await aliceEvents.finish().filter { $0.guid == guid }
            let seenByAdmin = try await adminEvents.finish().filter { $0.guid == guid }
            let seenByBob = await bobEvents.close().filter { $0.guid == guid }
            #expect(!seenByAlice.isEmpty)
            #expect(seenByAdmin.map(\.type) == seenByAlice.map(\.type))
            #expect(seenByBob.isEmpty)
        }
    }

    @Test("GUID prefixes resolve; an ambiguous prefix is 409 with the candidates")
    func prefixes() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let a = "ABCD0001-0000-0000-0000-000000000001"
            let b = "ABCD0002-0000-0000-0000-000000000002"
            for guid in [a, b] { _ = try await server.request(.POST, "/api/v1/simulations/\(guid)/init", token: server.alice) }
            let unique = try await server.request(.GET, "/api/v1/simulations/abcd0001", token: server.alice)
            #expect(unique.status == .ok)
            #expect(try unique.decode(SimulationSummary.self).guid == a)
            let ambiguous = try await server.request(.GET, "/api/v1/simulations/ABCD", token: server.alice)
            #expect(ambiguous.status == .conflict)
            #expect(Set(try ambiguous.decode(API.ErrorBody.self).candidates ?? []) == [a, b])
            let search = try await server.request(.GET, "/api/v1/simulations?prefix=ABCD&limit=1", token: server.alice).decode(API.SearchResult.self)
            #expect(search.simulations.count == 1)
            let none = try await server.request(.GET, "/api/v1/simulations/FFFF", token: server.alice)
            #expect(none.status == .notFound)
            let invalid = try await server.request(.GET, "/api/v1/simulations/..%2F", token: server.alice)
            #expect(invalid.status == .badRequest)
        }
    }

    @Test("update_files with ../ is refused")
    func traversal() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let guid = newGUID()
            _ = try await server.request(.POST, "/api/v1/simulations/\(guid)/init", token: server.alice)
            for files in [["../escape.txt": "a.txt"], ["input/a.txt": "../../etc/passwd"], ["/etc/passwd": "a.txt"]] {
                let reply = try await server.json(.POST, "/api/v1/simulations/\(guid)/files", token: server.alice, ["files": files])
                #expect(reply.status == .badRequest, "\(files)")
                #expect(reply.errorCode == "E_CLIENT")
                #expect(reply.errorMessage.contains("refused"))
            }
            let fine = try await server.json(.POST, "/api/v1/simulations/\(guid)/files", token: server.alice, ["files": ["input/a.txt": "a.txt"]])
            #expect(fine.status == .ok)
        }
    }

    @Test("an input archive with ../ members is refused at upload")
    func hostileArchive() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let guid = newGUID()
            _ = try await server.request(.POST, "/api/v1/simulations/\(guid)/init", token: server.alice)
            let url = scratchDirectory("hostile").appendingPathComponent("x.tar.gz")
            try HostileTar.write(memberNamed: "../../escape.txt", to: url)
            let reply = try await server.request(.PUT, "/api/v1/simulations/\(guid)/archive", token: server.alice,
                                                 body: try Data(contentsOf: url), contentType: "application/gzip")
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == "E_CLIENT")
        }
    }

    @Test("a bad definition: finalize refuses with E_CLIENT and its message; the run stays open, not failed")
    func badDefinition() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let unknown = newGUID()
            let reply = try await server.submit(guid: unknown, xml: try TestServer.fixture("bad-family.xml"), token: server.alice)
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == "E_CLIENT")
            #expect(reply.errorMessage.contains("unknown family 'no-such-family'"))
            let summary = try await server.summary(unknown, token: server.alice)
            #expect(summary.state == .created)
            #expect(summary.exitStatus == nil)

            let malformed = newGUID()
            let broken = try await server.submit(guid: malformed, xml: "<simulationDefinition><numericalModel>", token: server.alice)
            #expect(broken.status == .badRequest)
            #expect(broken.errorCode == "E_CLIENT")
            #expect(!broken.errorMessage.isEmpty)

            let missing = newGUID()
            let noInput = try await server.submit(guid: missing, xml: try TestServer.fixture("demo.xml"), token: server.alice)
            #expect(noInput.status == .badRequest)
            #expect(noInput.errorMessage.contains("tumour.stl"))
        }
    }

    @Test("a transferrer URL that does not answer: a clear E_CLIENT, not a hang")
    func silentTransferrer() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        try await TestServer.withServer(launcher: InMemoryLauncher(), transferTimeout: .seconds(1)) { server in
            let guid = newGUID()
            let xml = try TestServer.fixture("http-input.xml").replacingOccurrences(of: "URL", with: "http://127.0.0.1:\(listener.port)/files")
            let reply = try await server.submit(guid: guid, xml: xml, token: server.alice)
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == "E_CLIENT")
            #expect(reply.errorMessage.contains("127.0.0.1:\(listener.port)/files/tumour.stl"))
            #expect(try await server.summary(guid, token: server.alice).state == .failed)
        }
    }

    @Test("cancel at every stage: finalized, queued, running")
    func cancel() async throws {
        let launcher = InMemoryLauncher(capacity: 1) { _ in InMemoryLauncher.Script(hold: true) }
        try await TestServer.withServer(launcher: launcher) { server in
            let xml = try TestServer.sleepDefinition(steps: 1, sleep: 0)
            let finalizedOnly = newGUID(), running = newGUID(), queued = newGUID()
            for guid in [finalizedOnly, running, queued] { try await server.submit(guid: guid, xml: xml, token: server.alice) }
            _ = try await server.start(guid: running, token: server.alice)
            _ = try await server.start(guid: queued, token: server.alice)
            var waited = 0
            while try await server.summary(running, token: server.alice).state != .running, waited < 100 {
                try await Task.sleep(for: .milliseconds(50))
                waited += 1
            }
            let queuedSummary = try await server.summary(queued, token: server.alice)
            #expect(queuedSummary.state == .queued)
            #expect(queuedSummary.position == 1)

            for guid in [finalizedOnly, queued, running] {
                #expect(try await server.request(.POST, "/api/v1/simulations/\(guid)/cancel", token: server.alice).status == .ok)
            }
            for guid in [finalizedOnly, queued, running] {
                let summary = try await server.waitTerminal(guid, token: server.alice)
                #expect(summary.state == .cancelled)
                #expect(summary.exitStatus?.code == .cancelled)
            }
            #expect(await launcher.launched.map(\.guid) == [try await runKey(running, in: server.store)])
            let again = try await server.request(.POST, "/api/v1/simulations/\(running)/cancel", token: server.alice)
            #expect(again.status == .conflict)
        }
    }

    @Test("queue: 12 runs with 3 slots all complete in FIFO order, none refused for capacity")
    func queue() async throws {
        let launcher = InMemoryLauncher(capacity: 3)
        try await TestServer.withServer(launcher: launcher) { server in
            let xml = try TestServer.sleepDefinition(steps: 1, sleep: 0)
            var guids: [String] = []
            for index in 0..<12 {
                let guid = String(format: "Q%03d", index) + "-" + newGUID()
                try await server.submit(guid: guid, xml: xml, token: server.alice)
                guids.append(guid.uppercased())
            }
            for guid in guids { _ = try await server.start(guid: guid, token: server.alice) }
            for guid in guids {
                let summary = try await server.waitTerminal(guid, token: server.alice)
                #expect(summary.state == .succeeded, "\(guid): \(String(describing: summary.exitStatus))")
            }
            #expect(await launcher.peak <= 3)
            var keys: [String] = []
            for guid in guids { keys.append(try await runKey(guid, in: server.store)) }
            #expect(await launcher.launched.map(\.guid) == keys)
        }
    }

    @Test("clean removes the working directory and keeps the row")
    func clean() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let guid = newGUID()
            let finalized = try await server.submit(guid: guid, xml: try TestServer.sleepDefinition(steps: 1, sleep: 0), token: server.alice)
            let directory = try finalized.decode(SimulationSummary.self).directory
            _ = try await server.start(guid: guid, token: server.alice)
            _ = try await server.waitTerminal(guid, token: server.alice)
            let cleaned = try await server.request(.DELETE, "/api/v1/simulations/\(guid)", token: server.alice)
            #expect(cleaned.status == .ok)
            #expect(try cleaned.decode(SimulationSummary.self).cleaned)
            #expect(!FileManager.default.fileExists(atPath: directory))
            #expect(try await server.request(.GET, "/api/v1/simulations/\(guid)/results", token: server.alice).status == .conflict)
        }
    }

    @Test("WebSocket: announce replays one per stored run; identify names the server")
    func announceAndIdentify() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher(capacity: 7)) { server in
            for _ in 0..<3 { _ = try await server.request(.POST, "/api/v1/simulations/\(newGUID())/init", token: server.alice) }
            _ = try await server.request(.POST, "/api/v1/simulations/\(newGUID())/init", token: server.bob)
            let recorder = await EventRecorder.connect(base: server.base, token: server.alice, until: nil,
                                                       send: [#"{"request":"announce"}"#, #"{"request":"identify"}"#])
            var waited = 0
            while waited < 100 {
                let announces = await recorder.count(.announce)
                let identifies = await recorder.count(.identify)
                if announces >= 3 && identifies >= 2 { break }
                try await Task.sleep(for: .milliseconds(50))
                waited += 1
            }
            let events = await recorder.close()
            #expect(events.filter { $0.type == .announce }.count == 3)
            let identify = events.first { $0.type == .identify }
            #expect(identify?.serverID == server.manager.configuration.serverID)
            #expect(identify?.freeSlots == 7)
            #expect(identify?.hostname?.isEmpty == false)
        }
    }

    @Test("/metrics exposes runs by state, queue length, launch latency, meshing time and slots")
    func metrics() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let guid = newGUID()
            try await server.submit(guid: guid, xml: try TestServer.sleepDefinition(steps: 1, sleep: 0), token: server.alice)
            _ = try await server.start(guid: guid, token: server.alice)
            _ = try await server.waitTerminal(guid, token: server.alice)
            let reply = try await server.request(.GET, "/metrics", token: nil)
            #expect(reply.status == .ok)
            let text = String(decoding: reply.body, as: UTF8.self)
            #expect(text.contains("gssa_runs{state=\"succeeded\"} 1"))
            #expect(text.contains("gssa_queue_length 0"))
            #expect(text.contains("gssa_launch_latency_seconds_count 1"))
            #expect(text.contains("gssa_meshing_seconds_count"))
            #expect(text.contains("gssa_container_slots_in_use"))
        }
    }
}
