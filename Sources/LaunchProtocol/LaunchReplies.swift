/// `{"success": bool, "message": ...}`: the reply to every request, in request order.
///
/// On failure `message` is a human-readable string; on success its shape depends on the
/// command (see the reply types below).
public struct LaunchResponse<Message: Codable & Sendable>: Codable, Sendable {
    /// Whether the request was carried out.
    public var success: Bool
    /// The command's reply on success; the reason, as a string, on failure.
    public var message: Message

    /// Creates a response.
    public init(success: Bool, message: Message) {
        self.success = success
        self.message = message
    }
}

/// The fields the client inspects first in a frame from the daemon: a frame with `event`
/// is an event, one with `success` is a reply.
public struct LaunchFrameHead: Codable, Sendable {
    /// The event kind (`status`, `log`, `exit`) when the frame is an event.
    public var event: String?
    /// The reply's outcome when the frame is a reply.
    public var success: Bool?
    /// The message when it is a string (always so for failures).
    public var message: String?

    private enum CodingKeys: String, CodingKey { case event, success, message }

    /// Decodes leniently: a field of another type reads as nil, so the full decode that follows reports the real error.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.event = try? c.decodeIfPresent(String.self, forKey: .event)
        self.success = try? c.decodeIfPresent(Bool.self, forKey: .success)
        self.message = try? c.decodeIfPresent(String.self, forKey: .message)
    }
}

/// Reply to `START` and `ATTACH`.
public struct RunReply: Codable, Sendable, Hashable {
    /// The run's identifier, as given to `START`.
    public var guid: String
    /// The run's container (JSON `container_id`); nil until created.
    public var containerID: String?
    /// The image the container runs (JSON `image_id`), as `sha256:…`.
    public var imageID: String?
    /// Where the run is in its life cycle.
    public var state: RunState
    /// Present once the run has finished.
    public var result: RunResult?
    /// True while the container is paused by `SUSPEND`; absent otherwise.
    public var paused: Bool?

    /// Creates a run reply.
    public init(guid: String, containerID: String?, imageID: String?, state: RunState, result: RunResult?, paused: Bool? = nil) {
        self.guid = guid
        self.containerID = containerID
        self.imageID = imageID
        self.state = state
        self.result = result
        self.paused = paused
    }

    private enum CodingKeys: String, CodingKey {
        case guid, state, result, paused
        case containerID = "container_id"
        case imageID = "image_id"
    }
}

/// Reply to `USAGE`.
public struct UsageReply: Codable, Sendable, Hashable {
    /// Running (or starting) containers of this daemon.
    public var running: Int
    /// The daemon's cap on concurrent containers (its `max_containers`).
    public var max: Int
    /// Total cores of the executor's ready nodes (swarm executor only), for resource-aware scheduling.
    public var cores: Double?
    /// Total memory in bytes of the executor's ready nodes (swarm executor only).
    public var memoryBytes: Int64?
    /// Ready nodes behind the executor (swarm executor only).
    public var nodes: Int?
    /// Creates a usage reply.
    public init(running: Int, max: Int, cores: Double? = nil, memoryBytes: Int64? = nil, nodes: Int? = nil) {
        self.running = running
        self.max = max
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.nodes = nodes
    }

    private enum CodingKeys: String, CodingKey {
        case running, max, cores, nodes
        case memoryBytes = "memory_bytes"
    }
}

/// Reply to `LOGS`.
public struct LogsReply: Codable, Sendable, Hashable {
    /// The captured standard output; nil when not asked for.
    public var stdout: String?
    /// The captured standard error; nil when not asked for.
    public var stderr: String?
    /// Creates a logs reply.
    public init(stdout: String?, stderr: String?) {
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Life cycle of a run as the daemon sees it.
public enum RunState: String, Codable, Sendable, Hashable {
    /// Container being created and staged.
    case starting
    /// The container is up and the runner is working.
    case running
    /// Container exited; output not yet collected.
    case exited
    /// Output collected, container removed, result final.
    case finished
}

/// What happened to a run: `{exit_code, oom_killed, timed_out, image_id}` plus context.
public struct RunResult: Codable, Sendable, Hashable {
    /// The container's exit code; nil if it never produced one (e.g. it vanished).
    public var exitCode: Int?
    /// The kernel killed the run for exceeding its memory limit.
    public var oomKilled: Bool
    /// The daemon killed the run at its walltime (or a WAIT timeout).
    public var timedOut: Bool
    /// The run was destroyed on request.
    public var cancelled: Bool
    /// The image the container ran, as `sha256:…`.
    public var imageID: String?
    /// Whether the container's output reached the output directory.
    public var outputCollected: Bool
    /// Why collection or supervision failed, if it did.
    public var error: String?
    /// The class of ``error`` (`E_MODEL` for an output over its quota); absent means `E_SERVER`.
    public var errorCode: String?
    /// The limit the run hit when ``timedOut``: its walltime, or the WAIT timeout, in seconds.
    public var timedOutAfter: Double?
    /// The container's memory limit in bytes, for the out-of-memory message.
    public var memoryLimit: Int64?
    /// The host that ran it, when the daemon's executor spans several (a swarm node's hostname).
    public var node: String?

    /// Creates a result; every flag defaults to false and every detail to nil.
    public init(
        exitCode: Int?, oomKilled: Bool = false, timedOut: Bool = false, cancelled: Bool = false,
        imageID: String? = nil, outputCollected: Bool = false, error: String? = nil, errorCode: String? = nil,
        timedOutAfter: Double? = nil, memoryLimit: Int64? = nil
    ) {
        self.exitCode = exitCode
        self.oomKilled = oomKilled
        self.timedOut = timedOut
        self.cancelled = cancelled
        self.imageID = imageID
        self.outputCollected = outputCollected
        self.error = error
        self.errorCode = errorCode
        self.timedOutAfter = timedOutAfter
        self.memoryLimit = memoryLimit
    }

    private enum CodingKeys: String, CodingKey {
        case error, cancelled, node
        case errorCode = "error_code"
        case timedOutAfter = "timed_out_after"
        case memoryLimit = "memory_limit"
        case exitCode = "exit_code"
        case oomKilled = "oom_killed"
        case timedOut = "timed_out"
        case imageID = "image_id"
        case outputCollected = "output_collected"
    }
}
