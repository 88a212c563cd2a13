import Foundation
import GSSACore

/// What `retrieve_status` and `search` return for one run.
///
/// Keeps the original's summary fields (`guid`, `directory`, `finalized`, `exit_status`,
/// `status{percentage, message, timestamp}`, `server_id`) and adds the state, owner, family,
/// queue position and image ID.
public struct SimulationSummary: Codable, Sendable, Hashable {
    public struct Status: Codable, Sendable, Hashable {
        public var percentage: Double?
        public var message: String?
        /// When the status last changed.
        public var timestamp: Timestamp
        public init(percentage: Double?, message: String?, timestamp: Timestamp) {
            self.percentage = percentage
            self.message = message
            self.timestamp = timestamp
        }
    }

    public var guid: String
    public var serverID: String
    public var owner: String
    public var family: String?
    public var state: SimulationState
    public var directory: String
    public var finalized: Bool
    /// The outcome object once finished (`SUCCESS` or an error), `IN_PROGRESS` while running.
    public var exitStatus: GSSAError?
    public var status: Status
    /// 1-based position while queued.
    public var position: Int?
    public var imageID: String?
    public var containerID: String?
    /// When `init` created the run.
    public var created: Timestamp
    /// When the run left the queue (meshing or staging began); nil until then.
    public var started: Timestamp?
    /// When the run reached its end (succeeded, failed or cancelled); nil until then.
    public var finished: Timestamp?
    /// Seconds from ``started`` to ``finished``; nil until both are known.
    public var duration: Double?
    public var cleaned: Bool
    /// Warnings about the run, such as a host mesh under the quality gate; absent when none.
    public var warnings: [String]?

    public init(
        guid: String, serverID: String, owner: String, family: String?, state: SimulationState, directory: String,
        finalized: Bool, exitStatus: GSSAError?, status: Status, position: Int?, imageID: String?, containerID: String?,
        created: Timestamp, started: Timestamp?, finished: Timestamp?, cleaned: Bool, warnings: [String]? = nil
    ) {
        self.guid = guid
        self.serverID = serverID
        self.owner = owner
        self.family = family
        self.state = state
        self.directory = directory
        self.finalized = finalized
        self.exitStatus = exitStatus
        self.status = status
        self.position = position
        self.imageID = imageID
        self.containerID = containerID
        self.created = created
        self.started = started
        self.finished = finished
        if let started, let finished {
            duration = (max(0, finished.date.timeIntervalSince(started.date)) * 1000).rounded() / 1000
        }
        self.cleaned = cleaned
        self.warnings = warnings?.isEmpty == false ? warnings : nil
    }

    private enum CodingKeys: String, CodingKey {
        case guid, owner, family, state, directory, finalized, status, position, created, started, finished, duration, cleaned
        case warnings
        case serverID = "server_id"
        case exitStatus = "exit_status"
        case imageID = "image_id"
        case containerID = "container_id"
    }
}
