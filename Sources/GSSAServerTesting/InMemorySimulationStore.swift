import Foundation
import GSSA
import GSSAServer

/// The reference ``SimulationStore``: plain dictionaries behind an actor, for unit tests.
public actor InMemorySimulationStore: SimulationStore {
    private var runs: [String: SimulationRecord] = [:]
    private var log: [StoredEvent] = []
    private var users: [String: UserRecord] = [:]

    public init() {}

    public func insert(_ record: SimulationRecord) throws {
        guard runs[record.guid] == nil, self.record(owner: record.owner, name: record.name) == nil else {
            throw GSSAError.client("simulation \(record.name) exists already")
        }
        runs[record.guid] = record
    }

    public func record(guid: String) -> SimulationRecord? { runs[guid] }

    public func record(owner: String, name: String) -> SimulationRecord? {
        runs.values.first { $0.owner == owner && $0.name == name }
    }

    public func records(named name: String) -> [SimulationRecord] {
        runs.values.filter { $0.name == name }.sorted { ($0.createdAt, $0.guid) > ($1.createdAt, $1.guid) }
    }

    public func update(guid: String, _ change: @escaping @Sendable (inout SimulationRecord) -> Void) -> SimulationRecord? {
        guard var record = runs[guid] else { return nil }
        change(&record)
        runs[guid] = record
        return record
    }

    public func search(prefix: String, owner: String?, limit: Int?) -> [SimulationRecord] {
        let matches = runs.values
            .filter { $0.name.hasPrefix(prefix) && (owner == nil || $0.owner == owner) }
            .sorted { ($0.createdAt, $0.guid) > ($1.createdAt, $1.guid) }
        return limit.map { Array(matches.prefix($0)) } ?? matches
    }

    public func records(in states: Set<SimulationState>) -> [SimulationRecord] {
        runs.values.filter { states.contains($0.state) }
            .sorted { ($0.queueSequence ?? .max, $0.createdAt.timeIntervalSince1970, $0.guid) < ($1.queueSequence ?? .max, $1.createdAt.timeIntervalSince1970, $1.guid) }
    }

    public func nextQueued() -> SimulationRecord? { records(in: [.queued]).first }

    public func queuePosition(guid: String) -> Int? {
        records(in: [.queued]).firstIndex { $0.guid == guid }.map { $0 + 1 }
    }

    public func countByState() -> [SimulationState: Int] {
        var counts: [SimulationState: Int] = [:]
        for run in runs.values { counts[run.state, default: 0] += 1 }
        return counts
    }

    public func removeRun(guid: String) {
        runs.removeValue(forKey: guid)
        log.removeAll { $0.guid == guid }
    }

    public func appendEvent(_ event: StoredEvent) {
        var event = event
        event.id = Int64(log.count + 1)
        log.append(event)
    }

    public func events(guid: String) -> [StoredEvent] { log.filter { $0.guid == guid } }

    public func addUser(_ user: UserRecord) throws {
        guard users[user.name] == nil else { throw GSSAError.client("user \(user.name) exists already") }
        users[user.name] = user
    }

    public func user(tokenDigest: String) -> UserRecord? { users.values.first { $0.tokenDigest == tokenDigest } }
}
