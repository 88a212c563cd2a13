import Foundation

/// Fair share: users and projects that used little lately go first.
///
/// Each queued run scores
///
///     score = age      × min(1, waited / ageHorizon)
///           + priority × priority / 100
///           + fairness × (1 − (userShare + projectShare) / 2)
///           − size     × min(1, cores / hostCores)
///
/// where `userShare` is the user's part of all recent usage (core-seconds that decay with a
/// half-life, plus the core-seconds of the runs holding cores now) and `projectShare` the
/// same for the run's project. Every term is in [0, 1] before its weight, so the weights say
/// directly how much each matters. The defaults (``Weights``) let fairness dominate, then
/// priority, then waiting time; waiting a full horizon is worth as much as a priority of 50.
public struct FairShareScheduler: Scheduler {
    /// The weights of the four terms and the horizons; `gssa server --fairshare-*` sets them.
    public struct Weights: Sendable, Hashable {
        public var age: Double
        public var priority: Double
        public var fairness: Double
        public var size: Double
        /// Seconds of waiting after which the age term is full.
        public var ageHorizon: Double

        public init(age: Double = 1, priority: Double = 2, fairness: Double = 4, size: Double = 0.5, ageHorizon: Double = 3600) {
            self.age = age
            self.priority = priority
            self.fairness = fairness
            self.size = size
            self.ageHorizon = ageHorizon
        }
    }

    public var weights: Weights

    public init(weights: Weights = Weights()) { self.weights = weights }

    public var name: String { "fairshare" }
    public var usesHistory: Bool { true }

    public func scores(_ queue: [QueuedRun], snapshot: SchedulingSnapshot) -> [Double] {
        // Usage now: the decayed history plus what active runs have used so far.
        let history = snapshot.usage
        let total = history.total
        let weights = self.weights
        let hostCores = max(snapshot.capacity.cores, 1e-9)
        let horizon = max(weights.ageHorizon, 1e-9)
        let now = snapshot.now
        var userShare: [String: Double] = [:]
        var projectShare: [String: Double] = [:]
        return queue.map { run in
            let user: Double
            if let known = userShare[run.owner] {
                user = known
            } else {
                user = total > 0 ? (history.users[run.owner] ?? 0) / total : 0
                userShare[run.owner] = user
            }
            let project: Double
            if let known = projectShare[run.project] {
                project = known
            } else {
                project = total > 0 ? (history.projects[run.project] ?? 0) / total : 0
                projectShare[run.project] = project
            }
            let waited = max(0, now.timeIntervalSince(run.queued))
            return weights.age * min(1, waited / horizon)
                + weights.priority * Double(min(max(run.priority, 0), 100)) / 100
                + weights.fairness * (1 - (user + project) / 2)
                - weights.size * min(1, run.request.cores / hostCores)
        }
    }
}
