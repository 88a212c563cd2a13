import Foundation
import GRDB
import GSSA
@testable import GSSAServer
import Testing

/// Upgrades: a database written by an earlier gssa (the v6 fixture) migrates forward keeping every
/// row; one a newer gssa migrated is refused before anything touches it; a dry run changes nothing.
@Suite("Schema upgrades (real SQLite)")
struct SchemaUpgradeTests {
    static var fixture: URL {
        TestServer.fixtures.appendingPathComponent("schema-v6/gssa.sqlite3")
    }

    static func copyOfFixture(_ label: String) throws -> String {
        let path = scratchDirectory(label).appendingPathComponent("gssa.sqlite3").path
        try FileManager.default.copyItem(atPath: fixture.path, toPath: path)
        return path
    }

    @Test("the v6 fixture (gssa 0.4.0) migrates to this build's schema and keeps its runs, events and users")
    func fixtureUpgrades() async throws {
        let path = try Self.copyOfFixture("upgrade")
        let before = try #require(try SQLiteSimulationStore.schemaStatus(path: path))
        #expect(before.applied == Array(SQLiteSimulationStore.knownMigrations.prefix(6)))
        #expect(before.pending == Array(SQLiteSimulationStore.knownMigrations.dropFirst(6)))
        #expect(before.unknown.isEmpty)

        let store = try SQLiteSimulationStore(path: path)
        let after = try #require(try SQLiteSimulationStore.schemaStatus(path: path))
        #expect(after.isCurrent && after.applied == SQLiteSimulationStore.knownMigrations)

        let demo = try #require(try await store.record(owner: "alice", name: "DEMO-1"))
        #expect(demo.state == .succeeded && demo.family == "python-demo" && demo.percentage == 100)
        #expect(demo.startedAt != nil && demo.finishedAt != nil)
        let spheres = try #require(try await store.record(owner: "bob", name: "SPHERES"))
        #expect(spheres.state == .failed && spheres.exitCode == "E_MODEL" && spheres.warnings == ["minimum dihedral 8.1°"])
        #expect(try await store.events(guid: demo.guid).map(\.kind) == ["status", "complete"])
        #expect(try await store.events(guid: spheres.guid).map(\.message) == ["solver diverged"])
        let users = try await store.users()
        #expect(users.map(\.name).sorted() == ["alice", "bob"])
        #expect(users.first { $0.name == "alice" }?.admin == true)
        #expect(try await store.user(tokenDigest: users.first { $0.name == "bob" }!.tokenDigest)?.name == "bob")
    }

    @Test("a database a newer gssa migrated is refused, naming the migrations it does not know")
    func newerSchemaRefused() async throws {
        let path = try Self.copyOfFixture("newer")
        do {
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')")
            }
            try queue.close()
        }
        let status = try #require(try SQLiteSimulationStore.schemaStatus(path: path))
        #expect(status.unknown == ["v99: from the future"])
        let error = try #require(throws: GSSAError.self) { _ = try SQLiteSimulationStore(path: path) }
        #expect(error.code == .server)
        #expect(error.message.contains("newer gssa") && error.message.contains("'v99: from the future'"))
        // Nothing was migrated meanwhile: the fixture's own migrations are all it has.
        let after = try #require(try SQLiteSimulationStore.schemaStatus(path: path))
        #expect(after.applied == Array(SQLiteSimulationStore.knownMigrations.prefix(6)))
        // Nor is it backed up as if it were ours.
        #expect(throws: GSSAError.self) {
            try DatabaseBackup.copy(from: path, to: path + ".copy")
        }
    }

    @Test("reading the schema status changes nothing (what migrate --dry-run reports)")
    func dryRunChangesNothing() async throws {
        let path = scratchDirectory("dry-run").appendingPathComponent("gssa.sqlite3").path
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteSimulationStore.migrator.migrate(pool, upTo: "v3: search order indexes")
            try pool.close()
        }
        let first = try #require(try SQLiteSimulationStore.schemaStatus(path: path))
        let second = try #require(try SQLiteSimulationStore.schemaStatus(path: path))
        #expect(first == second)
        #expect(first.applied.count == 3 && first.pending == Array(SQLiteSimulationStore.knownMigrations.dropFirst(3)))
        #expect(try SQLiteSimulationStore.schemaStatus(path: path + ".absent") == nil)
    }
}

/// The same through the real binary: `gssa admin migrate --dry-run` lists what an upgrade would
/// apply and changes nothing; `gssa admin migrate` applies it; a newer database stops both.
@Suite("gssa admin migrate (real binary, real SQLite)")
struct AdminMigrateCommandTests {
    @Test("--dry-run lists the pending migrations and changes nothing; migrate applies them; a newer schema is E_SERVER")
    func dryRunThenMigrate() async throws {
        let data = scratchDirectory("admin-migrate")
        let path = ServerConfiguration(dataDirectory: data, serverID: "test").databasePath
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteSimulationStore.migrator.migrate(pool, upTo: "v4: GUIDs namespaced per owner")
            try pool.close()
        }
        let pending = Array(SQLiteSimulationStore.knownMigrations.dropFirst(4))
        let dryRun = try await ClientCommandTests.gssa(["admin", "migrate", "--dry-run", "--data", data.path], token: nil, server: "http://127.0.0.1:9")
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("would apply, in order:"))
        for name in pending { #expect(dryRun.stdout.contains(name)) }
        #expect(try SQLiteSimulationStore.schemaStatus(path: path)?.pending == pending)

        let migrate = try await ClientCommandTests.gssa(["admin", "migrate", "--data", data.path, "--json"], token: nil, server: "http://127.0.0.1:9")
        #expect(migrate.status == 0, "\(migrate.stderr)")
        #expect(migrate.stdout.contains("\"migrated\""))
        #expect(try SQLiteSimulationStore.schemaStatus(path: path)?.isCurrent == true)

        do {
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')") }
            try queue.close()
        }
        let refused = try await ClientCommandTests.gssa(["admin", "migrate", "--dry-run", "--data", data.path], token: nil, server: "http://127.0.0.1:9")
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("E_SERVER") && refused.stderr.contains("newer gssa") && refused.stderr.contains("v99: from the future"))
    }
}
