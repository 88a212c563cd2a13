import Foundation
import GSSA
import GSSAArchive
import GSSAServer
import GSSAServerTesting
import Testing
import NIOHTTP1

/// The server's refusals and messages (issue 11 items 3 and 10): families reload without a
/// restart, a refused launch leaves no run behind, errors name what the user sent.
@Suite("server refusals, messages and family reload")
struct ServerRefusalTests {
    static func definition(family: String) throws -> String {
        try TestServer.fixture("demo.xml").replacingOccurrences(of: "family=\"python-demo\"", with: "family=\"\(family)\"")
    }

    /// A copy of the python-demo family under another name.
    static func addFamily(_ name: String, to folder: URL) throws {
        let source = TestServer.repositoryRoot.appendingPathComponent("families/python-demo")
        try FileManager.default.copyItem(at: source, to: folder.appendingPathComponent(name))
    }

    @Test("a family added after start-up is found after SIGHUP and after the admin reload call (real gssa server)")
    func reload() async throws {
        let data = scratchDirectory("reload")
        let families = scratchDirectory("reload-families")
        let admin = try await ClientCommandTests.gssa(["users", "add", "boss", "--admin", "--data", data.path], token: nil, server: "http://127.0.0.1:1")
        let user = try await ClientCommandTests.gssa(["users", "add", "ann", "--data", data.path], token: nil, server: "http://127.0.0.1:1")
        let adminToken = admin.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let userToken = user.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let port = try ServerProcess.freePort()
        let process = Process()
        process.executableURL = ServerProcess.executable
        process.arguments = ["server", "--listen", "127.0.0.1:\(port)", "--data", data.path,
                             "--daemon-socket", data.appendingPathComponent("none.sock").path, "--families", families.path]
        let log = data.appendingPathComponent("server.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        defer {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        let server = RemoteServer(base: "http://127.0.0.1:\(port)")
        let ready = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < ready {
            if let reply = try? await server.request(.GET, "/api/v1/api", token: nil), reply.status == .ok { break }
            try await Task.sleep(for: .milliseconds(50))
        }

        let guid = newGUID()
        let refused = try await server.submit(guid: guid, xml: try Self.definition(family: "late-demo"), token: userToken,
                                              archive: try TestServer.demoArchive())
        #expect(refused.status == .badRequest && refused.errorMessage.contains("unknown family 'late-demo'"), "\(refused.errorMessage)")
        #expect(try await server.request(.GET, "/api/v1/simulations/\(guid)", token: userToken).decode(SimulationSummary.self).state == .created)

        // SIGHUP: the new folder is read; the same run now finalizes.
        try Self.addFamily("late-demo", to: families)
        kill(process.processIdentifier, SIGHUP)
        let deadline = ContinuousClock.now + .seconds(20)
        var finalized = try await server.json(.POST, "/api/v1/simulations/\(guid)/finalize", token: userToken, ["directory": "."])
        while finalized.status != .ok, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            finalized = try await server.json(.POST, "/api/v1/simulations/\(guid)/finalize", token: userToken, ["directory": "."])
        }
        #expect(finalized.status == .ok, "\(finalized.errorMessage)")
        #expect(process.isRunning, "SIGHUP must not stop the server")

        // The admin call: refused to a user, done for an admin.
        try Self.addFamily("later-demo", to: families)
        let forbidden = try await server.request(.POST, "/api/v1/admin/families/reload", token: userToken)
        #expect(forbidden.status == .forbidden && forbidden.errorCode == "E_CLIENT")
        let reloaded = try await server.request(.POST, "/api/v1/admin/families/reload", token: adminToken)
        #expect(reloaded.status == .ok)
        let known = try reloaded.decode(API.Families.self).families
        #expect(known.contains("later-demo") && known.contains("late-demo") && known.contains("fenics"), "\(known)")
        let second = try await server.submit(guid: newGUID(), xml: try Self.definition(family: "later-demo"), token: userToken,
                                             archive: try TestServer.demoArchive())
        #expect(second.status == .ok, "\(second.errorMessage)")
    }

    @Test("a refused launch leaves no run: not through the API (stays created), not through gssa launch (removed)")
    func refusedLaunch() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let bad = TestServer.fixtures.appendingPathComponent("bad-family.xml").path
            let launch = try await ClientCommandTests.gssa(["launch", bad], token: server.bob, server: server.base)
            #expect(launch.status == 2, "\(launch.stderr)")
            #expect(launch.stderr.contains("unknown family 'no-such-family'"), "\(launch.stderr)")
            let left = try await server.request(.GET, "/api/v1/simulations", token: server.bob).decode(API.SearchResult.self)
            #expect(left.simulations.isEmpty, "\(left.simulations.map { "\($0.guid) \($0.state)" })")
            #expect(try await server.request(.GET, "/api/v1/simulations?state=failed", token: server.admin).decode(API.SearchResult.self).simulations.isEmpty)
        }
    }

    @Test("malformed XML: libxml2's own message and line, from the server and from the CLI")
    func malformedXML() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let cases = [
                ("<simulationDefinition></simulationDefinition>\n<extra/>\n", "line 2", "Extra content at the end of the document"),
                ("<simulationDefinition>\n<numericalModel>", "line 2", "Premature end of data"),
            ]
            for (xml, line, text) in cases {
                let reply = try await server.submit(guid: newGUID(), xml: xml, token: server.alice)
                #expect(reply.status == .badRequest)
                #expect(reply.errorMessage.contains(line) && reply.errorMessage.contains(text), "server: \(reply.errorMessage)")
                #expect(!reply.errorMessage.contains("libxml2 error"), "server: \(reply.errorMessage)")
                let file = scratchDirectory("malformed").appendingPathComponent("definition.xml")
                try xml.write(to: file, atomically: true, encoding: .utf8)
                let launch = try await ClientCommandTests.gssa(["launch", file.path], token: server.alice, server: server.base)
                #expect(launch.status == 2)
                #expect(launch.stderr.contains(line) && !launch.stderr.contains("libxml2 error"), "cli: \(launch.stderr)")
            }
        }
    }

    @Test("a surface that is not closed: E_CLIENT once, naming the uploaded file, not the server's path (real CGAL mesher)")
    func openSurface() async throws {
        let mesher = GSSAMeshHostMesher(executable: ServerProcess.executable, threads: 1)
        try await TestServer.withServer(launcher: InMemoryLauncher(), mesher: mesher) { server in
            let folder = TestServer.fixtures.appendingPathComponent("fenics-ire")
            let url = scratchDirectory("open-surface").appendingPathComponent("input.tar.gz")
            let writer = try TarGzWriter(url: url)
            for name in ["organ.stl", "vessel.stl"] { try writer.add(name, .file(try Data(contentsOf: folder.appendingPathComponent(name)))) }
            // Binary STL minus its last triangle: a hole.
            var tumour = try Data(contentsOf: folder.appendingPathComponent("tumour.stl"))
            let count = tumour[80..<84].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            tumour.replaceSubrange(80..<84, with: withUnsafeBytes(of: count - 1) { Data($0) })
            tumour.removeLast(50)
            try writer.add("tumour.stl", .file(tumour))
            try writer.finish()

            let guid = newGUID()
            let finalized = try await server.submit(guid: guid, xml: try TestServer.fixture("fenics-ire/definition.xml"), token: server.alice,
                                                    archive: try Data(contentsOf: url))
            #expect(finalized.status == .ok, "\(finalized.errorMessage)")
            let recorder = await EventRecorder.connect(base: server.base, token: server.alice, until: guid)
            _ = try await server.start(guid: guid, token: server.alice)
            let events = try await recorder.finish().filter { $0.guid == guid }
            let summary = try await server.waitTerminal(guid, token: server.alice)
            let outcome = try #require(summary.exitStatus)
            #expect(summary.state == .failed && outcome.code == .client, "\(outcome)")
            #expect(outcome.message.contains("'tumour.stl'") && outcome.message.contains("not closed"), "\(outcome.message)")
            #expect(!outcome.message.contains(server.data.path) && !outcome.message.contains("input/") && !outcome.message.contains("tumour-1.stl"),
                    "\(outcome.message)")
            let mentions = events.compactMap(\.status?.message).filter { $0.contains("not closed") }
            #expect(mentions.count == 1, "\(mentions)")
        }
    }
}
