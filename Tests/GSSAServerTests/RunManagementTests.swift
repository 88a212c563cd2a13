import Foundation
import GSSA
import GSSAServer
import GSSAServerTesting
import Testing
import NIOHTTP1

/// Run management (issue 11 item 9): search filters in the API and the CLI, `gssa users
/// list|remove|token` against a running server, `gssa runs list|clean` on a local data directory.
@Suite("run management: search filters, users, local runs")
struct RunManagementTests {
    static func guids(_ reply: APIReply) throws -> Set<String> {
        Set(try reply.decode(API.SearchResult.self).simulations.map(\.guid))
    }

    @Test("?owner=me&state=failed filters; unknown parameters and values get 400 naming them")
    func searchFilters() async throws {
        let launcher = InMemoryLauncher { specification in
            let guidFile = specification.input.deletingLastPathComponent().appendingPathComponent("guid")
            let failing = (try? String(contentsOf: guidFile, encoding: .utf8))?.hasPrefix("F") == true
            return failing ? InMemoryLauncher.Script(exitCode: 4, exitStatus: "E_MODEL\nno") : InMemoryLauncher.Script()
        }
        try await TestServer.withServer(launcher: launcher) { server in
            let xml = try TestServer.fixture("demo.xml")
            let archive = try TestServer.demoArchive()
            let aliceOK = "A" + newGUID().dropFirst(), aliceFailed = "F" + newGUID().dropFirst(), bobFailed = "F" + newGUID().dropFirst()
            for (guid, token) in [(aliceOK, server.alice), (aliceFailed, server.alice), (bobFailed, server.bob)] {
                #expect(try await server.submit(guid: guid, xml: xml, token: token, archive: archive).status == .ok)
                #expect(try await server.start(guid: guid, token: token).status == .accepted)
                _ = try await server.waitTerminal(guid, token: token)
            }
            let family = try #require(try await server.summary(aliceOK, token: server.alice).family)

            let mine = try await server.request(.GET, "/api/v1/simulations?owner=me&state=failed", token: server.alice)
            #expect(mine.status == .ok)
            #expect(try Self.guids(mine) == [aliceFailed])
            #expect(try Self.guids(try await server.request(.GET, "/api/v1/simulations?state=failed,succeeded", token: server.alice)) == [aliceOK, aliceFailed])
            #expect(try Self.guids(try await server.request(.GET, "/api/v1/simulations?state=failed", token: server.admin)) == [aliceFailed, bobFailed])
            #expect(try Self.guids(try await server.request(.GET, "/api/v1/simulations?owner=bob", token: server.admin)) == [bobFailed])
            // Alice asking for Bob's runs learns nothing.
            #expect(try Self.guids(try await server.request(.GET, "/api/v1/simulations?owner=bob", token: server.alice)).isEmpty)
            #expect(try Self.guids(try await server.request(.GET, "/api/v1/simulations?family=\(family)", token: server.alice)) == [aliceOK, aliceFailed])
            #expect(try Self.guids(try await server.request(.GET, "/api/v1/simulations?family=nope", token: server.alice)).isEmpty)
            #expect(try Self.guids(try await server.request(.GET, "/api/v1/simulations?since=2099-01-01T00:00:00Z", token: server.alice)).isEmpty)
            #expect(try Self.guids(try await server.request(.GET, "/api/v1/simulations?since=2000-01-01T00:00:00.000Z", token: server.alice)).count == 2)

            for (query, named) in [("colour=red", "colour"), ("state=broken", "broken"), ("since=yesterday", "yesterday"), ("owner=me&ownr=x", "ownr")] {
                let refused = try await server.request(.GET, "/api/v1/simulations?\(query)", token: server.alice)
                #expect(refused.status == .badRequest, "\(query)")
                #expect(refused.errorCode == "E_CLIENT")
                #expect(String(decoding: refused.body, as: UTF8.self).contains(named), "\(query): \(String(decoding: refused.body, as: UTF8.self))")
            }

            let cli = try await ClientCommandTests.gssa(["search", "--owner", "me", "--state", "failed", "--since", "1h", "--json"], token: server.alice, server: server.base)
            #expect(cli.status == 0, "\(cli.stderr)")
            #expect(Set(try JSONDecoder().decode(API.SearchResult.self, from: Data(cli.stdout.utf8)).simulations.map(\.guid)) == [aliceFailed])
            let badState = try await ClientCommandTests.gssa(["search", "--state", "done"], token: server.alice, server: server.base)
            #expect(badState.status == 2 && badState.stderr.contains("'done'"), "\(badState.stderr)")
        }
    }

    @Test("users list, token (the old token stops working), remove (its token stops working) on a running server")
    func users() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let data = server.data.path
            let list = try await ClientCommandTests.gssa(["users", "list", "--data", data, "--json"], token: nil, server: server.base)
            #expect(list.status == 0, "\(list.stderr)")
            #expect(!list.stdout.contains("gssa_") && !list.stdout.contains("tokenDigest"))
            let names = try (JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(names == ["alice", "bob", "root"])

            #expect(try await server.request(.GET, "/api/v1/simulations", token: server.alice).status == .ok)  // cached now
            let rotated = try await ClientCommandTests.gssa(["users", "token", "alice", "--data", data], token: nil, server: server.base)
            #expect(rotated.status == 0, "\(rotated.stderr)")
            let fresh = rotated.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(fresh.hasPrefix("gssa_") && fresh != server.alice)
            #expect(try await server.request(.GET, "/api/v1/simulations", token: fresh).status == .ok)
            #expect(try await Self.eventuallyUnauthorized(server, token: server.alice))

            let removed = try await ClientCommandTests.gssa(["users", "remove", "bob", "--data", data], token: nil, server: server.base)
            #expect(removed.status == 0, "\(removed.stderr)")
            #expect(try await Self.eventuallyUnauthorized(server, token: server.bob))
            let unknown = try await ClientCommandTests.gssa(["users", "token", "nobody", "--data", data], token: nil, server: server.base)
            #expect(unknown.status == 2 && unknown.stderr.contains("nobody"))
        }
    }

    /// 401 within the token cache's life (bounded polling of the observable answer).
    static func eventuallyUnauthorized(_ server: TestServer, token: String) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try await server.request(.GET, "/api/v1/simulations", token: token).status == .unauthorized { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test("runs list shows local runs with sizes; runs clean --older-than removes only ended runs older than that")
    func localRuns() async throws {
        let data = scratchDirectory("local-runs")
        let configuration = ServerConfiguration(dataDirectory: data)
        let store = try SQLiteSimulationStore(path: configuration.databasePath)
        func add(_ name: String, _ state: SimulationState, daysAgo: Double) async throws -> URL {
            let directory = configuration.runsDirectory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("output"), withIntermediateDirectories: true)
            try Data(repeating: 7, count: 10_000).write(to: directory.appendingPathComponent("output/result.bin"))
            try await store.insert(SimulationRecord(guid: name, owner: "me", directory: directory.path, state: state,
                                                    createdAt: Date().addingTimeInterval(-daysAgo * 86_400)))
            return directory
        }
        let old = try await add("OLD", .succeeded, daysAgo: 10)
        let recent = try await add("RECENT", .failed, daysAgo: 1)
        let active = try await add("ACTIVE", .running, daysAgo: 20)

        let list = try await ClientCommandTests.gssa(["runs", "list", "--data", data.path], token: nil, server: "http://127.0.0.1:1")
        #expect(list.status == 0, "\(list.stderr)")
        for name in ["OLD", "RECENT", "ACTIVE"] { #expect(list.stdout.contains(name)) }
        #expect(list.stdout.contains("3 run(s)"), "\(list.stdout)")

        let dry = try await ClientCommandTests.gssa(["runs", "clean", "--older-than", "7d", "--dry-run", "--data", data.path], token: nil, server: "http://127.0.0.1:1")
        #expect(dry.stdout.contains("would remove OLD") && FileManager.default.fileExists(atPath: old.path), "\(dry.stdout)")

        let clean = try await ClientCommandTests.gssa(["runs", "clean", "--older-than", "7d", "--data", data.path], token: nil, server: "http://127.0.0.1:1")
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(!FileManager.default.fileExists(atPath: old.path))
        #expect(FileManager.default.fileExists(atPath: recent.path) && FileManager.default.fileExists(atPath: active.path))
        #expect(try await store.record(guid: "OLD") == nil)
        #expect(try await store.record(guid: "RECENT") != nil)

        let all = try await ClientCommandTests.gssa(["runs", "clean", "--data", data.path], token: nil, server: "http://127.0.0.1:1")
        #expect(all.status == 0)
        #expect(!FileManager.default.fileExists(atPath: recent.path) && FileManager.default.fileExists(atPath: active.path))
        let bad = try await ClientCommandTests.gssa(["runs", "clean", "--older-than", "soon", "--data", data.path], token: nil, server: "http://127.0.0.1:1")
        #expect(bad.status == 2 && bad.stderr.contains("--older-than 'soon'"), "\(bad.stderr)")
    }
}
