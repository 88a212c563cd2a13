import Foundation

/// What the scheduler knows of one queued run.
public struct QueuedRun: Sendable, Hashable {
    /// The run's internal key.
    public var guid: String
    public var owner: String
    /// The project the run is charged to.
    public var project: String
    public var family: String?
    /// 0–100, given at submission (users up to 50, admins up to 100).
    public var priority: Int
    public var request: ResourceRequest
    /// When the run was queued.
    public var queued: Date
    /// FIFO key: lower was queued first.
    public var sequence: Int64

    public init(
        guid: String, owner: String, project: String, family: String? = nil, priority: Int = 0, request: ResourceRequest,
        queued: Date, sequence: Int64
    ) {
        self.guid = guid
        self.owner = owner
        self.project = project
        self.family = family
        self.priority = priority
        self.request = request
        self.queued = queued
        self.sequence = sequence
    }
}

/// A run holding resources (starting or running): what it holds and since when.
public struct ActiveRun: Sendable, Hashable {
    public var owner: String
    public var project: String
    public var family: String?
    public var request: ResourceRequest
    /// When it left the queue; nil when unknown.
    public var started: Date?

    public init(owner: String, project: String, family: String? = nil, request: ResourceRequest, started: Date? = nil) {
        self.owner = owner
        self.project = project
        self.family = family
        self.request = request
        self.started = started
    }
}
