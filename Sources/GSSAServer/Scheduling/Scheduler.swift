import Foundation

/// Chooses which queued run starts next (`gssa server --scheduler fifo|fairshare`).
///
/// A scheduler only ranks: it scores each queued run, highest first. What may start is
/// decided the same way for every scheduler by ``decide(_:snapshot:)``: the best-scored run
/// that fits its user's and project's quotas, its family's pool and the host. A run blocked by
/// a quota or pool lets the others of other users, projects and families pass; a run blocked
/// by the host's capacity waits at the head, and nothing smaller overtakes it (no starvation
/// of large runs).
public protocol Scheduler: Sendable {
    /// The name given to `--scheduler`.
    var name: String { get }
    /// Whether ``scores(_:snapshot:)`` reads ``SchedulingSnapshot/usage``: the server reads the
    /// history of ended runs only for schedulers that do.
    var usesHistory: Bool { get }
    /// One score per queued run, in the same order; higher starts first, ties by queue order.
    func scores(_ queue: [QueuedRun], snapshot: SchedulingSnapshot) -> [Double]
}

/// The outcome of one scheduling decision.
public struct SchedulingDecision: Sendable, Hashable {
    /// Index in the queue of the run to start now; nil when none may.
    public var next: Int?
    /// Why the best-ranked run waits, when nothing may start (nil for an empty queue).
    public var reason: String?
}

extension Scheduler {
    /// The run to start now, if any: the best-scored one that is not blocked.
    ///
    /// One pass per blocked user, project or family: O(queue × (blocked groups + 1)).
    public func decide(_ queue: [QueuedRun], snapshot: SchedulingSnapshot) -> SchedulingDecision {
        guard !queue.isEmpty else { return SchedulingDecision(next: nil, reason: nil) }
        let scores = scores(queue, snapshot: snapshot)
        // Runs of a blocked user, project or family, marked once per blocked group.
        var excluded = [Bool](repeating: false, count: queue.count)
        var firstReason: String?
        while true {
            var best = -1
            for index in queue.indices where !excluded[index] {
                if best < 0 || scores[index] > scores[best]
                    || (scores[index] == scores[best] && queue[index].sequence < queue[best].sequence)
                {
                    best = index
                }
            }
            guard best >= 0 else { return SchedulingDecision(next: nil, reason: firstReason) }
            guard let (block, reason) = snapshot.block(queue[best]) else {
                return SchedulingDecision(next: best, reason: nil)
            }
            if firstReason == nil { firstReason = reason }
            switch block {
            case .user(let name):
                for index in queue.indices where queue[index].owner == name { excluded[index] = true }
            case .project(let name):
                for index in queue.indices where queue[index].project == name { excluded[index] = true }
            case .pool(let name):
                for index in queue.indices where queue[index].family == name { excluded[index] = true }
            case .host:
                return SchedulingDecision(next: nil, reason: firstReason)
            }
        }
    }
}

/// Today's behaviour: first queued, first started.
public struct FIFOScheduler: Scheduler {
    public init() {}
    public var name: String { "fifo" }
    public var usesHistory: Bool { false }
    public func scores(_ queue: [QueuedRun], snapshot: SchedulingSnapshot) -> [Double] {
        queue.map { -Double($0.sequence) }
    }
}
