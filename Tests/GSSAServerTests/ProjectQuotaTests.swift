import Foundation
import GRDB
import GSSA
@testable import GSSAServer
import GSSAServerTesting
import LaunchProtocol
import Families
import Testing
import NIOHTTP1

/// Projects, quotas, priorities, rate limits and usage over the HTTP API, on the real SQLite
/// store with the in-memory launcher standing in for the daemon.
@Suite("Projects and quotas (in-memory launcher)")
struct ProjectQuotaTests {
    static func held() -> InMemoryLauncher {
        InMemoryLauncher { _ in InMemoryLauncher.Script(hold: true) }
    }

    static func sleepXML(_ extra: String = "") throws -> String {
        try TestServer.sleepDefinition(steps: 1, sleep: 0).replacingOccurrences(
            of: "<parameters>", with: "<parameters>\n" + extra)
    }

    static func makeProject(_ server: TestServer, _ name: String, members: [String], quota: [String: Any]? = nil) async throws {
        let made = try await server.json(.POST, "/api/v1/admin/projects", token: server.admin, ["name": name, "members": members])
        #expect(made.status == .created, "\(String(decoding: made.body, as: UTF8.self))")
        if let quota {
            let set = try await server.json(.PUT, "/api/v1/admin/quotas/project/\(name)", token: server.admin, quota)
            #expect(set.status == .ok, "\(String(decoding: set.body, as: UTF8.self))")
        }
    }

    @Test("a run over its project's quota waits in queued with the quota named, then starts when another ends")
    func quotaWaits() async throws {
        let launcher = Self.held()
        try await TestServer.withServer(launcher: launcher) { server in
            try await Self.makeProject(server, "liver-lab", members: ["alice"], quota: ["runs": 1])
            let first = newGUID(), second = newGUID()
            for guid in [first, second] {
                #expect(try await server.submit(guid: guid, xml: try Self.sleepXML(), token: server.alice).status == .ok)
                let started = try await server.json(.POST, "/api/v1/simulations/\(guid)/start", token: server.alice, ["project": "liver-lab"])
                #expect(started.status == .accepted, "\(String(decoding: started.body, as: UTF8.self))")
            }
            #expect(try await eventually(60) { try await server.summary(first, token: server.alice).state == .running })
            #expect(try await eventually(60) {
                try await server.summary(second, token: server.alice).queueReason == "waiting: project liver-lab runs 1 of 1 runs"
            })
            let waiting = try await server.summary(second, token: server.alice)
            #expect(waiting.state == .queued && waiting.project == "liver-lab" && waiting.queued != nil && waiting.started == nil)
            #expect(waiting.cores == 1 && waiting.memory == 2 << 30)
            await launcher.release(guid: try await runKey(first, in: server.store))
            #expect(try await eventually(60) { try await server.summary(second, token: server.alice).state == .running })
            let running = try await server.summary(second, token: server.alice)
            #expect(running.queueReason == nil)
            await launcher.release(guid: try await runKey(second, in: server.store))
            #expect(try await server.waitTerminal(second, token: server.alice, seconds: 60).state == .succeeded)
            let metrics = String(decoding: try await server.request(.GET, "/metrics", token: nil).body, as: UTF8.self)
            #expect(metrics.contains("gssa_queue_length_by_project{project=\"liver-lab\"} 0"), "\(metrics)")
            #expect(metrics.contains("gssa_scheduling_decision_seconds_count"))
        }
    }

    @Test("bad input gets E_CLIENT naming the field: unknown project, priority over 50, negative quota, request over the host")
    func badInput() async throws {
        try await TestServer.withServer(launcher: Self.held()) { server in
            let guid = newGUID()
            #expect(try await server.submit(guid: guid, xml: try Self.sleepXML(), token: server.alice).status == .ok)
            let unknown = try await server.json(.POST, "/api/v1/simulations/\(guid)/start", token: server.alice, ["project": "nope"])
            #expect(unknown.status == .badRequest && unknown.errorCode == "E_CLIENT")
            #expect(unknown.errorMessage.contains("project 'nope' does not exist"), "\(unknown.errorMessage)")
            let priority = try await server.json(.POST, "/api/v1/simulations/\(guid)/start", token: server.alice, ["priority": 60])
            #expect(priority.status == .badRequest && priority.errorCode == "E_CLIENT")
            #expect(priority.errorMessage.contains("priority must be from 0 to 50"), "\(priority.errorMessage)")
            try await Self.makeProject(server, "kidney-lab", members: ["bob"])
            let foreign = try await server.json(.POST, "/api/v1/simulations/\(guid)/start", token: server.alice, ["project": "kidney-lab"])
            #expect(foreign.status == .forbidden && foreign.errorMessage.contains("not a member"), "\(foreign.errorMessage)")
            // Still finalized: none of the refusals queued it.
            #expect(try await server.summary(guid, token: server.alice).state == .finalized)

            let negative = try await server.json(.PUT, "/api/v1/admin/quotas/project/kidney-lab", token: server.admin, ["cores": -1])
            #expect(negative.status == .badRequest && negative.errorCode == "E_CLIENT")
            #expect(negative.errorMessage.contains("'cores'"), "\(negative.errorMessage)")
            let missing = try await server.json(.PUT, "/api/v1/admin/quotas/project/nowhere", token: server.admin, ["runs": 1])
            #expect(missing.status == .badRequest && missing.errorMessage.contains("project 'nowhere' does not exist"))
            let scope = try await server.json(.PUT, "/api/v1/admin/quotas/team/kidney-lab", token: server.admin, ["runs": 1])
            #expect(scope.status == .badRequest && scope.errorMessage.contains("scope"))
            let notAdmin = try await server.json(.POST, "/api/v1/admin/projects", token: server.alice, ["name": "mine"])
            #expect(notAdmin.status == .forbidden)
            let badName = try await server.json(.POST, "/api/v1/admin/projects", token: server.admin, ["name": "a/b"])
            #expect(badName.status == .badRequest && badName.errorMessage.contains("name 'a/b'"))

            let big = newGUID()
            let refused = try await server.submit(guid: big, xml: try Self.sleepXML("<parameter name=\"SETTING_CORES\" value=\"100000\"/>"),
                                                  token: server.alice)
            #expect(refused.status == .badRequest && refused.errorCode == "E_CLIENT")
            #expect(refused.errorMessage.contains("SETTING_CORES asks for 100000 cores, above the server's limit"), "\(refused.errorMessage)")
            #expect(try await server.summary(big, token: server.alice).state == .created)
        }
    }

    @Test("rate limits: a start over the pending runs per user is HTTP 429 with Retry-After; priorities and requests show in the summary")
    func rateLimit() async throws {
        var scheduling = SchedulingConfiguration(maximumPendingPerUser: 1)
        scheduling.hostCores = 1
        try await TestServer.withServer(launcher: Self.held(), scheduling: scheduling) { server in
            let guids = [newGUID(), newGUID(), newGUID()]
            for guid in guids {
                #expect(try await server.submit(
                    guid: guid, xml: try Self.sleepXML("<parameter name=\"SETTING_MEMORY\" value=\"512m\"/>"), token: server.alice).status == .ok)
            }
            #expect(try await server.json(.POST, "/api/v1/simulations/\(guids[0])/start", token: server.alice, ["priority": 10]).status == .accepted)
            #expect(try await eventually(60) { try await server.summary(guids[0], token: server.alice).state == .running })
            #expect(try await server.start(guid: guids[1], token: server.alice).status == .accepted)
            let limited = try await server.start(guid: guids[2], token: server.alice)
            #expect(limited.status == .tooManyRequests && limited.errorCode == "E_CLIENT", "\(String(decoding: limited.body, as: UTF8.self))")
            #expect(limited.errorMessage.contains("--max-pending-per-user"))
            #expect(limited.retryAfter == "30")
            let reply = try await server.request(.POST, "/api/v1/simulations/\(guids[2])/start", token: server.alice)
            #expect(reply.status == .tooManyRequests)
            let first = try await server.summary(guids[0], token: server.alice)
            #expect(first.priority == 10 && first.project == "alice" && first.memory == 512 << 20 && first.cores == 1)
            #expect(try await eventually(60) {
                try await server.summary(guids[1], token: server.alice).queueReason?.contains("the host's cores are in use (1 of 1 held") == true
            })
        }
    }

    @Test("family.yml resources set a run's default request and its pool caps the family; a bad manifest names the field")
    func familyResourcesAndPool() async throws {
        let folder = scratchDirectory("families").appendingPathComponent("pooled")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let demo = TestServer.repositoryRoot.appendingPathComponent("families/python-demo")
        try FileManager.default.copyItem(at: demo.appendingPathComponent("start.py"), to: folder.appendingPathComponent("start.py"))
        let manifest = try String(contentsOf: demo.appendingPathComponent("family.yml"), encoding: .utf8)
            .replacingOccurrences(of: "image:", with: "name: pooled\nresources: {cores: 0.5, memory: 256m, walltime: 120}\npool: {max_running: 1}\nimage:")
        try manifest.write(to: folder.appendingPathComponent("family.yml"), atomically: true, encoding: .utf8)
        var registry = TestServer.registry()
        registry.register(try DropInFamily(folder: folder))
        let launcher = Self.held()
        try await TestServer.withServer(launcher: launcher, registry: registry) { server in
            let xml = try Self.sleepXML().replacingOccurrences(of: "family=\"python-demo\"", with: "family=\"pooled\"")
            let guids = [newGUID(), newGUID()]
            for guid in guids {
                #expect(try await server.submit(guid: guid, xml: xml, token: server.alice).status == .ok)
                #expect(try await server.start(guid: guid, token: server.alice).status == .accepted)
            }
            let first = try await server.summary(guids[0], token: server.alice)
            #expect(first.cores == 0.5 && first.memory == 256 << 20 && first.walltime == 120)
            #expect(try await eventually(60) {
                try await server.summary(guids[1], token: server.alice).queueReason == "waiting: family pooled's pool runs 1 of 1 runs"
            })
            let launched = await launcher.launched
            #expect(launched.first?.limits?.cpus == 0.5 && launched.first?.limits?.memory == 256 << 20 && launched.first?.walltime == 120)
            await launcher.release(guid: try await runKey(guids[0], in: server.store))
            #expect(try await eventually(60) { try await server.summary(guids[1], token: server.alice).state == .running })
            await launcher.release(guid: try await runKey(guids[1], in: server.store))
        }
        let bad = try manifest.replacingOccurrences(of: "max_running: 1", with: "max_running: 0")
        try bad.write(to: folder.appendingPathComponent("family.yml"), atomically: true, encoding: .utf8)
        let error = #expect(throws: GSSAError.self) { try DropInFamily(folder: folder) }
        #expect(error?.message.contains("pool.max_running must be at least 1") == true, "\(error?.message ?? "")")
    }

    @Test("over the stored-bytes quota, new uploads are refused with E_CLIENT naming the quota and the usage")
    func storedBytes() async throws {
        try await TestServer.withServer(launcher: Self.held()) { server in
            let first = newGUID()
            #expect(try await server.submit(guid: first, xml: try Self.sleepXML(), token: server.alice).status == .ok)
            let set = try await server.json(.PUT, "/api/v1/admin/quotas/user/alice", token: server.admin, ["stored_bytes": 1])
            #expect(set.status == .ok)
            let second = newGUID()
            let refused = try await server.request(.PUT, "/api/v1/simulations/\(second)/definition", token: server.alice,
                                                   body: Data(try Self.sleepXML().utf8), contentType: "application/xml")
            #expect(refused.status == .payloadTooLarge && refused.errorCode == "E_CLIENT")
            #expect(refused.errorMessage.contains("user alice keeps") && refused.errorMessage.contains("stored_bytes quota of 1"),
                    "\(refused.errorMessage)")
            // Bob is not concerned.
            #expect(try await server.submit(guid: newGUID(), xml: try Self.sleepXML(), token: server.bob).status == .ok)
            // Unlimited again: accepted.
            #expect(try await server.json(.PUT, "/api/v1/admin/quotas/user/alice", token: server.admin, [String: Any]()).status == .ok)
            #expect(try await server.request(.PUT, "/api/v1/simulations/\(second)/definition", token: server.alice,
                                             body: Data(try Self.sleepXML().utf8), contentType: "application/xml").status == .ok)
        }
    }

    @Test("CLI: gssa projects add|members|quota|list, launch --project --priority, search --all-users, admin usage")
    func cli() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let data = server.data.path
            func gssa(_ arguments: [String], token: String? = nil) async throws -> ClientCommandTests.Result {
                try await ClientCommandTests.gssa(arguments, token: token, server: server.base)
            }
            var result = try await gssa(["projects", "add", "liver-lab", "--member", "alice", "--data", data])
            #expect(result.status == 0, "\(result.stderr)")
            result = try await gssa(["projects", "members", "liver-lab", "--add", "bob", "--data", data])
            #expect(result.status == 0 && result.stdout.contains("alice,bob"), "\(result.stdout) \(result.stderr)")
            result = try await gssa(["projects", "quota", "liver-lab", "--cores", "4", "--memory", "8g", "--data", data])
            #expect(result.status == 0 && result.stdout.contains("4.0 cores, 8 GiB memory"), "\(result.stdout) \(result.stderr)")
            result = try await gssa(["projects", "quota", "liver-lab", "--runs=-1", "--data", data])
            #expect(result.status == 2 && result.stderr.contains("'runs'"), "\(result.stderr)")
            result = try await gssa(["projects", "members", "nowhere", "--add", "bob", "--data", data])
            #expect(result.status == 2 && result.stderr.contains("project 'nowhere' does not exist"), "\(result.stderr)")
            result = try await gssa(["projects", "list", "--data", data, "--json"])
            let projects = try JSONDecoder().decode([API.Project].self, from: Data(result.stdout.utf8))
            #expect(projects.first { $0.name == "liver-lab" } == API.Project(name: "liver-lab", members: ["alice", "bob"], quota: Quota(cores: 4, memory: 8 << 30)))

            let definition = scratchDirectory("cli-def").appendingPathComponent("run.xml")
            try Self.sleepXML().write(to: definition, atomically: true, encoding: .utf8)
            result = try await gssa(["launch", definition.path, "--project", "liver-lab", "--priority", "20", "--wait", "--json"], token: server.alice)
            #expect(result.status == 0, "\(result.stderr)")
            let launched = try JSONDecoder().decode(SimulationSummary.self, from: Data(result.stdout.utf8))
            #expect(launched.project == "liver-lab" && launched.priority == 20 && launched.state == .succeeded)
            result = try await gssa(["launch", definition.path, "--priority", "70"], token: server.alice)
            #expect(result.status == 2 && result.stderr.contains("priority must be from 0 to 50"), "\(result.stderr)")

            #expect(try await server.submit(guid: newGUID(), xml: try Self.sleepXML(), token: server.bob).status == .ok)
            result = try await gssa(["search", "--all-users"], token: server.admin)
            let owners = Set(result.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) })
            #expect(result.status == 0 && owners == ["alice", "bob"], "\(result.stdout) \(result.stderr)")
            result = try await gssa(["search"], token: server.admin)
            #expect(result.status == 0 && result.stdout.isEmpty, "admins see their own runs without --all-users: \(result.stdout)")

            result = try await gssa(["admin", "usage", "--since", "1h", "--data", data, "--json"])
            #expect(result.status == 0, "\(result.stderr)")
            let usage = try JSONDecoder().decode(API.Usage.self, from: Data(result.stdout.utf8))
            #expect(usage.projects.first { $0.name == "liver-lab" }?.runs["succeeded"] == 1)
            #expect(usage.users.map(\.name).sorted() == ["alice", "bob"])
            result = try await gssa(["admin", "usage", "--data", data])
            #expect(result.status == 0 && result.stdout.contains("liver-lab"), "\(result.stdout)")
        }
    }

    @Test("admin usage: per user and per project, with core-seconds and runs by state; admin users list their projects")
    func usage() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let guid = newGUID()
            #expect(try await server.submit(guid: guid, xml: try Self.sleepXML(), token: server.alice).status == .ok)
            #expect(try await server.start(guid: guid, token: server.alice).status == .accepted)
            #expect(try await server.waitTerminal(guid, token: server.alice, seconds: 60).state == .succeeded)
            let report = try await server.request(.GET, "/api/v1/admin/usage?since=2020-01-01T00:00:00Z", token: server.admin).decode(API.Usage.self)
            let alice = try #require(report.users.first { $0.name == "alice" })
            #expect(alice.runs["succeeded"] == 1 && alice.storedBytes > 0 && alice.coreSeconds >= 0)
            #expect(report.projects.contains { $0.name == "alice" && $0.runs["succeeded"] == 1 })
            #expect(try await server.request(.GET, "/api/v1/admin/usage", token: server.alice).status == .forbidden)
            let bad = try await server.request(.GET, "/api/v1/admin/usage?since=yesterday", token: server.admin)
            #expect(bad.status == .badRequest && bad.errorMessage.contains("since"))
            let users = try await server.request(.GET, "/api/v1/admin/users", token: server.admin).decode(API.Users.self)
            #expect(users.users.first { $0.name == "alice" }?.projects == ["alice"])
        }
    }
}

/// v7 adds projects and quotas without touching what was there.
@Suite("SQLite store migration v7 (real SQLite)")
struct StoreProjectsMigrationTests {
    @Test("v6 users and runs survive v7: each user gets a project of their own name, each run is charged to it")
    func projects() async throws {
        let path = scratchDirectory("migration7").appendingPathComponent("gssa.sqlite3").path
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteSimulationStore.migrator.migrate(pool, upTo: "v6: mesh quality warnings")
            try await pool.write { db in
                try db.execute(sql: """
                    INSERT INTO users (name, tokenDigest, admin, createdAt) VALUES ('alice', 'd1', 0, '2026-01-01 00:00:00.000');
                    INSERT INTO runs (guid, name, owner, state, createdAt, updatedAt, directory, cleaned)
                    VALUES ('K1', 'DONE', 'alice', 'succeeded', '2026-01-01 00:00:00.000', '2026-01-01 00:05:00.000', '/d/K1', 0);
                    """)
            }
            try pool.close()
        }
        let store = try SQLiteSimulationStore(path: path)
        let done = try #require(try await store.record(owner: "alice", name: "DONE"))
        #expect(done.state == .succeeded && done.project == "alice" && done.directory == "/d/K1")
        #expect(try await store.projects(of: "alice") == ["alice"])
        #expect(try await store.projects().map(\.name) == ["alice"])
        #expect(try await store.users().map(\.name) == ["alice"])
    }
}
