import Foundation

/// Persistence of runs, users and the event log.
///
/// Shaped like Hummingbird's `PersistDriver`: a small protocol with an in-memory reference
/// implementation for unit tests (`InMemorySimulationStore`, in GSSAServerTesting) and the SQLite one the server
/// uses (``SQLiteSimulationStore``).
public protocol SimulationStore: Sendable {
    /// Adds a run; a key, or a name the owner already uses, that exists already is an
    /// `E_CLIENT` error.
    func insert(_ record: SimulationRecord) async throws
    /// The run with internal key `guid` (``SimulationRecord/guid``).
    func record(guid: String) async throws -> SimulationRecord?
    /// The run `owner` calls `name` (the client's GUID), if any.
    func record(owner: String, name: String) async throws -> SimulationRecord?
    /// Every owner's run called `name`, for admins.
    func records(named name: String) async throws -> [SimulationRecord]
    /// Applies `change` atomically and returns the new record (nil when the GUID is unknown).
    @discardableResult
    func update(guid: String, _ change: @escaping @Sendable (inout SimulationRecord) -> Void) async throws
        -> SimulationRecord?
    /// Runs whose client GUID (``SimulationRecord/name``) starts with `prefix`, newest first;
    /// `owner` nil means everyone's.
    func search(prefix: String, owner: String?, limit: Int?) async throws -> [SimulationRecord]
    /// ``search(prefix:owner:limit:)`` narrowed by `filter` before the limit applies.
    func search(prefix: String, owner: String?, limit: Int?, filter: RunFilter) async throws -> [SimulationRecord]
    /// Runs in any of `states`, queued ones in FIFO order.
    func records(in states: Set<SimulationState>) async throws -> [SimulationRecord]
    /// The oldest queued run (lowest queue sequence).
    func nextQueued() async throws -> SimulationRecord?
    /// 1-based place of a queued run in the FIFO; nil when it is not queued.
    func queuePosition(guid: String) async throws -> Int?
    /// Number of runs per state.
    func countByState() async throws -> [SimulationState: Int]

    /// The children of `owner`'s sweep `parent` (its name), in the order they were made.
    func children(owner: String, parent: String) async throws -> [SimulationRecord]
    /// The counts, progress and first failure of those children, without reading them all.
    func sweepTally(owner: String, parent: String) async throws -> SweepTally

    /// Forgets a run and its event log (a never-finalized run cleaned, `gssa runs clean`).
    func removeRun(guid: String) async throws

    func appendEvent(_ event: StoredEvent) async throws
    func events(guid: String) async throws -> [StoredEvent]

    /// Adds a user; an existing name is an `E_CLIENT` error.
    func addUser(_ user: UserRecord) async throws
    func user(tokenDigest: String) async throws -> UserRecord?

    /// The projects `user` belongs to, the default (first joined) first.
    func projects(of user: String) async throws -> [String]
    /// Whether a project of that name exists.
    func projectExists(_ name: String) async throws -> Bool
    /// Every quota of a scope, by user or project name.
    func quotas(_ scope: QuotaScope) async throws -> [String: Quota]
    /// Runs that ended at or after `date`, for the fair-share usage history.
    func records(finishedSince date: Date) async throws -> [SimulationRecord]
}

extension SimulationStore {
    /// Scans the owner's runs; the SQLite store uses its (owner, parent) index.
    public func children(owner: String, parent: String) async throws -> [SimulationRecord] {
        try await search(prefix: "", owner: owner, limit: nil).filter { $0.parent == parent }
            .sorted { ($0.createdAt, $0.name) < ($1.createdAt, $1.name) }
    }

    /// Tallies ``children(owner:parent:)`` in memory; the SQLite store counts in SQL.
    public func sweepTally(owner: String, parent: String) async throws -> SweepTally {
        SweepTally(children: try await children(owner: owner, parent: parent))
    }

    /// A store without projects: every user runs in a project of their own name.
    public func projects(of user: String) async throws -> [String] { [] }
    public func projectExists(_ name: String) async throws -> Bool { false }
    /// A store without quotas.
    public func quotas(_ scope: QuotaScope) async throws -> [String: Quota] { [:] }
    /// Filters every run in memory; the SQLite store uses its index.
    public func records(finishedSince date: Date) async throws -> [SimulationRecord] {
        try await search(prefix: "", owner: nil, limit: nil).filter { ($0.finishedAt ?? .distantPast) >= date }
    }

    /// Filters the unlimited search in memory; the SQLite store does it in SQL.
    public func search(prefix: String, owner: String?, limit: Int?, filter: RunFilter) async throws -> [SimulationRecord] {
        guard !filter.isEmpty else { return try await search(prefix: prefix, owner: owner, limit: limit) }
        let matching = try await search(prefix: prefix, owner: owner, limit: nil).filter(filter.matches)
        return limit.map { Array(matching.prefix($0)) } ?? matching
    }
}
