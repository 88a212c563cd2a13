import Foundation

/// What a search may narrow runs to, besides the GUID prefix and the owner: states, family and
/// a lower bound on the creation time (`search --state --family --since`).
public struct RunFilter: Sendable, Hashable {
    /// Any of these states; nil for all.
    public var states: Set<SimulationState>?
    public var family: String?
    /// Created at or after this instant.
    public var since: Date?
    /// Children of the sweep with this name (`?parent=`).
    public var parent: String?

    public init(states: Set<SimulationState>? = nil, family: String? = nil, since: Date? = nil, parent: String? = nil) {
        self.states = states
        self.family = family
        self.since = since
        self.parent = parent
    }

    public var isEmpty: Bool { states == nil && family == nil && since == nil && parent == nil }

    public func matches(_ record: SimulationRecord) -> Bool {
        if let states, !states.contains(record.state) { return false }
        if let family, record.family != family { return false }
        if let since, record.createdAt < since { return false }
        if let parent, record.parent != parent { return false }
        return true
    }
}
