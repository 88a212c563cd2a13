import Foundation
import GSSAServer
import GSSAServerTesting
import Testing

/// The sweep's tally is counted by the store (two indexed queries in SQLite) instead of reading
/// every child on each child's end; it must say what reading them all would.
@Suite("Sweep tally (real SQLite and the in-memory store)")
struct SweepTallyTests {
    /// Alice's sweep S with children in every kind of state, two failures (the earlier one is
    /// the first, whatever the names), a percentage beyond 100 and one below 0, and runs that
    /// must not count: Bob's child of his own S, and Alice's child of another sweep.
    static func fill(_ store: some SimulationStore) async throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        func child(_ name: String, _ state: SimulationState, owner: String = "alice", parent: String = "S",
                   at seconds: Double, percentage: Double? = nil, code: String? = nil, message: String? = nil) -> SimulationRecord {
            var record = SimulationRecord(guid: UUID().uuidString, name: name, owner: owner, directory: "/d/\(name)",
                                          state: state, createdAt: start.addingTimeInterval(seconds))
            record.parent = parent
            record.percentage = percentage
            record.exitCode = code
            record.message = message
            return record
        }
        for record in [
            child("S-1", .succeeded, at: 1, percentage: 100, code: "SUCCESS"),
            child("S-9", .failed, at: 2, percentage: 40, code: "E_MODEL", message: "diverged"),
            child("S-3", .failed, at: 3, code: "E_SERVER", message: "later"),
            child("S-4", .running, at: 4, percentage: 250),
            child("S-5", .running, at: 5, percentage: 30.5),
            child("S-6", .queued, at: 6),
            child("S-7", .suspended, at: 7, percentage: -5),
            child("S-8", .cancelled, at: 8, percentage: 10, code: "E_CANCELLED"),
            child("S-1", .failed, owner: "bob", at: 0, code: "E_MODEL", message: "bob's"),
            child("T-1", .failed, parent: "T", at: 0, code: "E_MODEL", message: "another sweep"),
        ] {
            try await store.insert(record)
        }
    }

    static let expected = SweepTally(
        counts: [.succeeded: 1, .failed: 2, .running: 2, .queued: 1, .suspended: 1, .cancelled: 1],
        progress: 100 + 100 + 100 + 100 + 30.5 + 0 + 0 + 100,
        firstFailure: .init(name: "S-9", exitCode: "E_MODEL", message: "diverged"))

    @Test("SQLite counts states, clamps progress and finds the first failure like reading every child")
    func sqliteMatchesTheChildren() async throws {
        let store = try SQLiteSimulationStore(path: scratchDirectory("tally").appendingPathComponent("gssa.sqlite3").path)
        try await Self.fill(store)
        let tally = try await store.sweepTally(owner: "alice", parent: "S")
        #expect(tally == Self.expected)
        #expect(tally == SweepTally(children: try await store.children(owner: "alice", parent: "S")))
        #expect(tally.total == 8 && tally.ended == 4)
        let status = tally.status(size: 8, parameters: ["A"])
        #expect(status.percentage == 66.3 && status.counts == ["succeeded": 1, "failed": 2, "running": 2, "queued": 1,
                                                              "suspended": 1, "cancelled": 1])
        #expect(try await store.sweepTally(owner: "bob", parent: "S").firstFailure?.message == "bob's")
        #expect(try await store.sweepTally(owner: "alice", parent: "none") == SweepTally(counts: [:], progress: 0, firstFailure: nil))
    }

    @Test("the in-memory store's tally, from its children, is the same")
    func inMemoryMatches() async throws {
        let store = InMemorySimulationStore()
        try await Self.fill(store)
        #expect(try await store.sweepTally(owner: "alice", parent: "S") == Self.expected)
    }
}
