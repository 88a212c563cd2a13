import Foundation
import GRDB
import GSSA
@testable import GSSAServer
import Testing

/// The owner-namespace migration keeps every existing run, and the store then enforces one
/// name per owner only.
@Suite("SQLite store migration (real SQLite)")
struct StoreMigrationTests {
    @Test("v3 rows survive v4: their GUID becomes key and name; names are unique per owner, not server-wide")
    func ownerNamespaces() async throws {
        let path = scratchDirectory("migration").appendingPathComponent("gssa.sqlite3").path
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteSimulationStore.migrator.migrate(pool, upTo: "v3: search order indexes")
            try await pool.write { db in
                try db.execute(sql: """
                    INSERT INTO runs (guid, owner, state, createdAt, updatedAt, directory, cleaned)
                    VALUES ('OLD-RUN', 'alice', 'succeeded', '2026-01-01 00:00:00.000', '2026-01-01 00:00:00.000', '/data/runs/OLD-RUN', 0)
                    """)
                try db.execute(sql: "INSERT INTO events (guid, kind, at) VALUES ('OLD-RUN', 'complete', '2026-01-01 00:00:00.000')")
            }
            try pool.close()
        }
        let store = try SQLiteSimulationStore(path: path)
        let old = try #require(try await store.record(owner: "alice", name: "OLD-RUN"))
        #expect(old.guid == "OLD-RUN" && old.state == .succeeded && old.directory == "/data/runs/OLD-RUN")
        #expect(try await store.events(guid: "OLD-RUN").map(\.kind) == ["complete"])
        #expect(try await store.search(prefix: "OLD", owner: "alice", limit: nil).map(\.name) == ["OLD-RUN"])
        #expect(try await store.search(prefix: "OLD", owner: "bob", limit: nil).isEmpty)

        // Bob may have his own OLD-RUN; Alice may not have a second one.
        try await store.insert(SimulationRecord(guid: UUID().uuidString, name: "OLD-RUN", owner: "bob", directory: "/data/runs/b"))
        #expect(try await store.records(named: "OLD-RUN").count == 2)
        await #expect(throws: GSSAError.self) {
            try await store.insert(SimulationRecord(guid: UUID().uuidString, name: "OLD-RUN", owner: "alice", directory: "/x"))
        }
    }
}

/// v5 adds start and end times without touching what was there.
@Suite("SQLite store migration v5 (real SQLite)")
struct StoreTimesMigrationTests {
    @Test("v4 rows survive v5: an ended run takes its last update as end time, its start stays unknown")
    func startAndEndTimes() async throws {
        let path = scratchDirectory("migration5").appendingPathComponent("gssa.sqlite3").path
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteSimulationStore.migrator.migrate(pool, upTo: "v4: GUIDs namespaced per owner")
            try await pool.write { db in
                try db.execute(sql: """
                    INSERT INTO runs (guid, name, owner, state, createdAt, updatedAt, directory, cleaned)
                    VALUES ('K1', 'DONE', 'alice', 'failed', '2026-01-01 00:00:00.000', '2026-01-01 00:05:00.000', '/d/K1', 0),
                           ('K2', 'WAITING', 'alice', 'queued', '2026-01-02 00:00:00.000', '2026-01-02 00:00:01.000', '/d/K2', 0)
                    """)
            }
            try pool.close()
        }
        let store = try SQLiteSimulationStore(path: path)
        let done = try #require(try await store.record(owner: "alice", name: "DONE"))
        #expect(done.state == .failed && done.directory == "/d/K1")
        #expect(done.startedAt == nil)
        #expect(done.finishedAt == done.updatedAt)
        let waiting = try #require(try await store.record(owner: "alice", name: "WAITING"))
        #expect(waiting.startedAt == nil && waiting.finishedAt == nil)

        // From now on the store stamps them as the state moves.
        let started = try #require(try await store.update(guid: "K2") { $0.state = .starting })
        let start = try #require(started.startedAt)
        let ended = try #require(try await store.update(guid: "K2") { $0.state = .succeeded })
        #expect(abs(try #require(ended.startedAt).timeIntervalSince(start)) < 0.001)
        #expect(try #require(ended.finishedAt) >= start)
        let reread = try #require(try await store.record(guid: "K2"))
        #expect(reread.startedAt != nil && reread.finishedAt != nil)
    }
}

@Suite("SQLite store migration v8 (real SQLite)")
struct StoreArraysMigrationTests {
    @Test("v6 rows survive v8 unchanged, with no sweep, dependency or reschedule links; the new fields then round-trip")
    func sweepsAndLinks() async throws {
        let path = scratchDirectory("migration8").appendingPathComponent("gssa.sqlite3").path
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteSimulationStore.migrator.migrate(pool, upTo: "v6: mesh quality warnings")
            try await pool.write { db in
                try db.execute(sql: """
                    INSERT INTO runs (guid, name, owner, state, createdAt, updatedAt, directory, cleaned, warnings)
                    VALUES ('K1', 'OLD', 'alice', 'succeeded', '2026-01-01 00:00:00.000', '2026-01-01 00:05:00.000', '/d/K1', 0, '["w"]')
                    """)
            }
            try pool.close()
        }
        let store = try SQLiteSimulationStore(path: path)
        let old = try #require(try await store.record(owner: "alice", name: "OLD"))
        #expect(old.state == .succeeded && old.warnings == ["w"] && old.directory == "/d/K1")
        #expect(old.parent == nil && old.sweepSize == nil && old.after == nil && old.rescheduledAs == nil && !old.isSweepParent)
        var child = SimulationRecord(guid: "K2", name: "OLD-1", owner: "alice", directory: "/d/K2", state: .waiting)
        child.parent = "OLD"
        child.sweepValues = ["A": "1"]
        child.after = ["X", "Y"]
        child.rescheduledFrom = "Z"
        try await store.insert(child)
        _ = try await store.update(guid: "K1") {
            $0.sweepSize = 1
            $0.sweepParameters = ["A"]
        }
        let reread = try #require(try await store.record(guid: "K2"))
        #expect(reread.state == .waiting && reread.parent == "OLD" && reread.sweepValues == ["A": "1"])
        #expect(reread.after == ["X", "Y"] && reread.rescheduledFrom == "Z" && reread.rescheduledAs == nil)
        #expect(try await store.children(owner: "alice", parent: "OLD").map(\.guid) == ["K2"])
        #expect(try await store.children(owner: "bob", parent: "OLD").isEmpty)
        #expect(try await store.record(guid: "K1")?.isSweepParent == true)
    }
}
