import Foundation
import GSSA
import LaunchProtocol

/// Everything one scheduling decision looks at, as plain values: the host's capacity, what
/// active runs hold (per user, project and family), quotas, pools and recent usage.
///
/// Capacity accounting lives here only: ``SchedulingSnapshot/holdsResources(_:)`` says which
/// states hold cores and memory.
public struct SchedulingSnapshot: Sendable {
    public var now: Date
    public var capacity: HostCapacity
    /// What every active run holds together.
    public var total = ResourceTally()
    public var users: [String: ResourceTally] = [:]
    public var projects: [String: ResourceTally] = [:]
    public var families: [String: ResourceTally] = [:]
    public var userQuotas: [String: Quota]
    public var projectQuotas: [String: Quota]
    /// Most runs of a family at once (`family.yml` `pool: {max_running: N}`).
    public var pools: [String: Int]
    /// Decayed core-seconds per user and per project (see ``UsageHistory``).
    public var usage: UsageHistory

    public init(
        now: Date = Date(), capacity: HostCapacity, active: [ActiveRun] = [], userQuotas: [String: Quota] = [:],
        projectQuotas: [String: Quota] = [:], pools: [String: Int] = [:], usage: UsageHistory = UsageHistory()
    ) {
        self.now = now
        self.capacity = capacity
        self.userQuotas = userQuotas
        self.projectQuotas = projectQuotas
        self.pools = pools
        self.usage = usage
        for run in active { hold(owner: run.owner, project: run.project, family: run.family, run.request) }
    }

    /// The states whose runs hold cores, memory and a slot. A suspended run would not.
    public static func holdsResources(_ state: SimulationState) -> Bool {
        state == .starting || state == .running
    }

    /// Counts `request` as held by `owner`, `project` and `family` (a run just admitted).
    public mutating func hold(owner: String, project: String, family: String?, _ request: ResourceRequest) {
        total.add(request)
        users[owner, default: ResourceTally()].add(request)
        projects[project, default: ResourceTally()].add(request)
        if let family { families[family, default: ResourceTally()].add(request) }
    }

    /// Counts a run as started now: it holds its request and a slot.
    public mutating func admit(_ run: QueuedRun) {
        hold(owner: run.owner, project: run.project, family: run.family, run.request)
        capacity.freeSlots -= 1
    }

    /// What keeps a run from starting now, if anything.
    public enum Block: Sendable, Hashable {
        case user(String)
        case project(String)
        case pool(String)
        /// The host: its cores, memory or container slots. Nothing smaller overtakes the run.
        case host
    }

    /// Why `run` cannot start now, and the reason shown to its owner; nil when it can.
    public func block(_ run: QueuedRun) -> (Block, String)? {
        let request = run.request
        if let quota = userQuotas[run.owner],
            let reason = Self.quotaReason(quota, held: users[run.owner] ?? ResourceTally(), request, who: "user \(run.owner)")
        {
            return (.user(run.owner), reason)
        }
        if let quota = projectQuotas[run.project],
            let reason = Self.quotaReason(quota, held: projects[run.project] ?? ResourceTally(), request, who: "project \(run.project)")
        {
            return (.project(run.project), reason)
        }
        if let family = run.family, let pool = pools[family] {
            let held = families[family]?.runs ?? 0
            if held + 1 > pool { return (.pool(family), "waiting: family \(family)'s pool runs \(held) of \(pool) runs") }
        }
        if capacity.freeSlots <= 0 { return (.host, "waiting: every container slot of the launch daemon is in use") }
        if total.cores + request.cores > capacity.cores + 1e-9 {
            return (.host, "waiting: the host's cores are in use (\(Self.number(total.cores)) of \(Self.number(capacity.cores)) held, this run needs \(Self.number(request.cores)))")
        }
        if total.memory + request.memory > capacity.memory {
            return (.host, "waiting: the host's memory is in use (\(ByteSize.describe(total.memory)) of \(ByteSize.describe(capacity.memory)) held, this run needs \(ByteSize.describe(request.memory)))")
        }
        return nil
    }

    static func quotaReason(_ quota: Quota, held: ResourceTally, _ request: ResourceRequest, who: String) -> String? {
        if let runs = quota.runs, held.runs + 1 > runs { return "waiting: \(who) runs \(held.runs) of \(runs) runs" }
        if let cores = quota.cores, held.cores + request.cores > cores + 1e-9 {
            return "waiting: \(who) uses \(number(held.cores)) of \(number(cores)) cores"
        }
        if let memory = quota.memory, held.memory + request.memory > memory {
            return "waiting: \(who) uses \(ByteSize.describe(held.memory)) of \(ByteSize.describe(memory)) memory"
        }
        return nil
    }

    static func number(_ value: Double) -> String { ResourceBounds.number((value * 100).rounded() / 100) }
}
