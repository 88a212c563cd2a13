import Foundation

/// Recent usage per user and per project, in core-seconds that decay with a half-life: a run
/// that ended one half-life ago counts half.
public struct UsageHistory: Sendable, Hashable {
    public var users: [String: Double]
    public var projects: [String: Double]

    public init(users: [String: Double] = [:], projects: [String: Double] = [:]) {
        self.users = users
        self.projects = projects
    }

    /// Total over users (the same as over projects).
    public var total: Double { users.values.reduce(0, +) }

    /// Adds one run's core-seconds, decayed by how long ago it ended (`age` seconds).
    public mutating func add(owner: String, project: String, coreSeconds: Double, age: Double, halfLife: Double) {
        guard coreSeconds.isFinite, coreSeconds > 0 else { return }
        let weight = halfLife > 0 ? pow(2, -max(0, age) / halfLife) : 1
        users[owner, default: 0] += coreSeconds * weight
        projects[project, default: 0] += coreSeconds * weight
    }
}
