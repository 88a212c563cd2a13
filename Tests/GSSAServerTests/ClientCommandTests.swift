import Foundation
import GSSA
import GSSAArchive
import GSSAServer
import GSSAServerTesting
import Testing

/// The `gssa` client commands, run as a user would, against a server on loopback.
@Suite("gssa client commands")
struct ClientCommandTests {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `gssa` without blocking a cooperative thread (the server under test shares them).
    static func gssa(_ arguments: [String], token: String?, server: String) async throws -> Result {
        let process = Process()
        process.executableURL = ServerProcess.executable
        process.arguments = arguments
        process.currentDirectoryURL = TestServer.repositoryRoot
        var environment = ProcessInfo.processInfo.environment
        environment["GSSA_SERVER"] = server
        environment["GSSA_CONFIG"] = "/nonexistent"
        if let token { environment["GSSA_TOKEN"] = token } else { environment.removeValue(forKey: "GSSA_TOKEN") }
        process.environment = environment
        let directory = scratchDirectory("cli-out")
        let outURL = directory.appendingPathComponent("out"), errURL = directory.appendingPathComponent("err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        try out.close()
        try err.close()
        return Result(status: status, stdout: try String(contentsOf: outURL, encoding: .utf8),
                      stderr: try String(contentsOf: errURL, encoding: .utf8))
    }

    @Test("launch --wait, status, search, logs, results, diagnostic, inspect, clean")
    func workflow() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let demo = TestServer.fixtures.appendingPathComponent("demo.xml").path
            let stl = TestServer.fixtures.appendingPathComponent("tumour.stl").path
            let guid = newGUID()
            let launch = try await Self.gssa(["launch", demo, "-i", stl, "--guid", guid, "--wait"], token: server.alice, server: server.base)
            #expect(launch.status == 0, "\(launch.stderr)")
            #expect(launch.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == guid)
            #expect(launch.stderr.contains("SUCCESS"))
            #expect(launch.stderr.contains("%"))

            let status = try await Self.gssa(["status", String(guid.prefix(8)), "--json"], token: server.alice, server: server.base)
            #expect(status.status == 0, "\(status.stderr)")
            let summary = try JSONDecoder().decode(SimulationSummary.self, from: Data(status.stdout.utf8))
            #expect(summary.guid == guid && summary.state == .succeeded)

            let search = try await Self.gssa(["search", "--json"], token: server.alice, server: server.base)
            #expect(try JSONDecoder().decode(API.SearchResult.self, from: Data(search.stdout.utf8)).simulations.map(\.guid) == [guid])

            let logs = try await Self.gssa(["logs", guid, "--stdout"], token: server.alice, server: server.base)
            #expect(logs.stdout == "in-memory stdout\n")

            let target = scratchDirectory("client")
            let results = try await Self.gssa(["results", guid, "--to", target.path, "--extract"], token: server.alice, server: server.base)
            #expect(results.status == 0, "\(results.stderr)")
            #expect(FileManager.default.fileExists(atPath: target.appendingPathComponent("\(guid)/output/result.txt").path))

            let diagnostic = try await Self.gssa(["diagnostic", String(guid.prefix(8)), "--to", target.path], token: server.alice, server: server.base)
            #expect(diagnostic.status == 0, "\(diagnostic.stderr)")
            let bundle = target.appendingPathComponent("\(guid)-diagnostic.tar.gz")
            let inspected = target.appendingPathComponent("inspect")
            let inspect = try await Self.gssa(["inspect", bundle.path, "--to", inspected.path, "--json"], token: nil, server: server.base)
            #expect(inspect.status == 0, "\(inspect.stderr)")
            #expect(inspect.stdout.contains("sha256:in-memory"))
            #expect(FileManager.default.fileExists(atPath: inspected.appendingPathComponent("input/parameters.yml").path))

            let clean = try await Self.gssa(["clean", guid], token: server.alice, server: server.base)
            #expect(clean.status == 0, "\(clean.stderr)")
            #expect(try await server.summary(guid, token: server.alice).cleaned)
        }
    }

    @Test("a failing run: launch --wait exits 1 with the code; cancel; a bad token exits with E_CLIENT")
    func failures() async throws {
        let launcher = InMemoryLauncher { specification in
            // The daemon knows runs by their internal key; the client's GUID is in the run's `guid` file.
            let guidFile = specification.input.deletingLastPathComponent().appendingPathComponent("guid")
            let failing = (try? String(contentsOf: guidFile, encoding: .utf8))?.hasPrefix("F") == true
            return failing
                ? InMemoryLauncher.Script(exitCode: 4, exitStatus: "E_MODEL\nthe model diverged")
                : InMemoryLauncher.Script(hold: true)
        }
        try await TestServer.withServer(launcher: launcher) { server in
            let sleep = scratchDirectory("defs").appendingPathComponent("sleep.xml")
            try TestServer.sleepDefinition(steps: 1, sleep: 0).write(to: sleep, atomically: true, encoding: .utf8)

            let failing = "F" + newGUID().dropFirst()
            let failed = try await Self.gssa(["launch", sleep.path, "--guid", failing, "--wait"], token: server.alice, server: server.base)
            #expect(failed.status == 1)
            #expect(failed.stderr.contains("E_MODEL: the model diverged"))

            let held = "A" + newGUID().dropFirst()
            let started = try await Self.gssa(["launch", sleep.path, "--guid", held], token: server.alice, server: server.base)
            #expect(started.status == 0, "\(started.stderr)")
            let cancel = try await Self.gssa(["cancel", held, "--json"], token: server.alice, server: server.base)
            #expect(cancel.status == 0, "\(cancel.stderr)")
            #expect(try await server.waitTerminal(held, token: server.alice).state == .cancelled)

            let unauthorized = try await Self.gssa(["search"], token: "gssa_nope", server: server.base)
            #expect(unauthorized.status == 2)
            #expect(unauthorized.stderr.hasPrefix("E_CLIENT: unauthorized"))
            let missing = try await Self.gssa(["status", "FFFFFFFF"], token: server.alice, server: server.base)
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("no simulation matches"))
        }
    }

    @Test("users add prints a token that authenticates")
    func usersAdd() async throws {
        let data = scratchDirectory("users")
        let added = try await Self.gssa(["users", "add", "carol", "--data", data.path], token: nil, server: "http://127.0.0.1:1")
        #expect(added.status == 0, "\(added.stderr)")
        let token = added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("gssa_"))
        let store = try SQLiteSimulationStore(path: ServerConfiguration(dataDirectory: data).databasePath)
        let user = try await store.user(tokenDigest: APIToken.digest(token))
        #expect(user?.name == "carol" && user?.admin == false)
        let again = try await Self.gssa(["users", "add", "carol", "--data", data.path], token: nil, server: "http://127.0.0.1:1")
        #expect(again.status == 2)
    }
}
