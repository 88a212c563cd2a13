import Foundation
import GSSACore

/// What `retrieve_status` and `search` return for one run.
///
/// Keeps the original's summary fields (`guid`, `directory`, `finalized`, `exit_status`,
/// `status{percentage, message, timestamp}`, `server_id`) and adds the state, owner, family,
/// queue position and image ID.
public struct SimulationSummary: Codable, Sendable, Hashable {
    /// The run's last reported progress (the original's `status` object).
    public struct Status: Codable, Sendable, Hashable {
        /// Progress in percent, when known.
        public var percentage: Double?
        /// The last status message.
        public var message: String?
        /// When the status last changed.
        public var timestamp: Timestamp
        /// Creates a status.
        public init(percentage: Double?, message: String?, timestamp: Timestamp) {
            self.percentage = percentage
            self.message = message
            self.timestamp = timestamp
        }
    }

    /// The run's GUID as the client named it (never the server's internal key).
    public var guid: String
    /// The server that holds the run (JSON `server_id`).
    public var serverID: String
    /// The user whose token created the run; only they (or an admin) see it.
    public var owner: String
    /// The family named by the definition; nil until a definition is uploaded.
    public var family: String?
    /// Where the run is in its life.
    public var state: SimulationState
    /// The run's working directory on the server.
    public var directory: String
    /// True once `finalize` fixed the inputs and configuration.
    public var finalized: Bool
    /// The outcome object once finished (`SUCCESS` or an error), `IN_PROGRESS` while running.
    public var exitStatus: GSSAError?
    /// The last reported progress.
    public var status: Status
    /// 1-based position while queued.
    public var position: Int?
    /// The container image the run uses (JSON `image_id`), once known.
    public var imageID: String?
    /// The run's container (JSON `container_id`), once created.
    public var containerID: String?
    /// When `init` created the run.
    public var created: Timestamp
    /// When the run left the queue (meshing or staging began); nil until then.
    public var started: Timestamp?
    /// When the run reached its end (succeeded, failed or cancelled); nil until then.
    public var finished: Timestamp?
    /// Seconds from ``started`` to ``finished``; nil until both are known.
    public var duration: Double?
    /// True once `clean` removed the run's directory and container; the record stays.
    public var cleaned: Bool
    /// Warnings about the run, such as a host mesh under the quality gate; absent when none.
    public var warnings: [String]?
    /// For a child of a sweep: its parent's GUID.
    public var parent: String?
    /// For a child of a sweep: the values it was given, `{NAME: value}`.
    public var sweepValues: [String: String]?
    /// For the parent of a sweep: its size, its children's counts per state and overall progress.
    public var sweep: SweepStatus?
    /// The runs this one waits for (afterok): it is queued once each has succeeded.
    public var after: [String]?
    /// The run this one re-runs (`gssa reschedule`).
    public var rescheduledFrom: String?
    /// The run that re-runs this one (`gssa reschedule`).
    public var rescheduledAs: String?
    /// The project the run is charged to; nil before it is started on a server with projects.
    public var project: String?
    /// The priority given at start (0–100).
    public var priority: Int?
    /// When `start` put the run in the queue; nil until then.
    public var queued: Timestamp?
    /// Why a queued run waits, e.g. `waiting: project liver-lab uses 4 of 4 cores`.
    public var queueReason: String?
    /// Cores the run asks for (fixed at finalize).
    public var cores: Double?
    /// Bytes of memory the run asks for (fixed at finalize).
    public var memory: Int64?
    /// Walltime the run asks for, in seconds; nil: the server's default.
    public var walltime: Double?
    /// The node that ran it (JSON `node`), when the launch daemon runs on a swarm; absent otherwise.
    public var node: String?

    /// Creates a summary; ``duration`` is computed from `started` and `finished`, and an empty `warnings` is stored as nil.
    public init(
        guid: String, serverID: String, owner: String, family: String?, state: SimulationState, directory: String,
        finalized: Bool, exitStatus: GSSAError?, status: Status, position: Int?, imageID: String?, containerID: String?,
        created: Timestamp, started: Timestamp?, finished: Timestamp?, cleaned: Bool, warnings: [String]? = nil,
        node: String? = nil
    ) {
        self.node = node
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
        case warnings, node, parent, sweep, after
        case sweepValues = "sweep_values"
        case rescheduledFrom = "rescheduled_from"
        case rescheduledAs = "rescheduled_as"
        case project, priority, queued, cores, memory, walltime
        case queueReason = "queue_reason"
        case serverID = "server_id"
        case exitStatus = "exit_status"
        case imageID = "image_id"
        case containerID = "container_id"
    }
}
