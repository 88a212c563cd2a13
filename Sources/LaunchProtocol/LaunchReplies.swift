/// `{"success": bool, "message": ...}`: the reply to every request, in request order.
///
/// On failure `message` is a human-readable string; on success its shape depends on the
/// command (see the reply types below).
public struct LaunchResponse<Message: Codable & Sendable>: Codable, Sendable {
    public var success: Bool
    public var message: Message

    public init(success: Bool, message: Message) {
        self.success = success
        self.message = message
    }
}

/// The fields the client inspects first in a frame from the daemon: a frame with `event`
/// is an event, one with `success` is a reply.
public struct LaunchFrameHead: Codable, Sendable {
    public var event: String?
    public var success: Bool?
    /// The message when it is a string (always so for failures).
    public var message: String?

    private enum CodingKeys: String, CodingKey { case event, success, message }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.event = try? c.decodeIfPresent(String.self, forKey: .event)
        self.success = try? c.decodeIfPresent(Bool.self, forKey: .success)
        self.message = try? c.decodeIfPresent(String.self, forKey: .message)
    }
}

/// Reply to `START` and `ATTACH`.
public struct RunReply: Codable, Sendable, Hashable {
    public var guid: String
    public var containerID: String?
    public var imageID: String?
    public var state: RunState
    /// Present once the run has finished.
    public var result: RunResult?

    public init(guid: String, containerID: String?, imageID: String?, state: RunState, result: RunResult?) {
        self.guid = guid
        self.containerID = containerID
        self.imageID = imageID
        self.state = state
        self.result = result
    }

    private enum CodingKeys: String, CodingKey {
        case guid, state, result
        case containerID = "container_id"
        case imageID = "image_id"
    }
}

/// Reply to `USAGE`.
public struct UsageReply: Codable, Sendable, Hashable {
    /// Running (or starting) containers of this daemon.
    public var running: Int
    public var max: Int
    public init(running: Int, max: Int) {
        self.running = running
        self.max = max
    }
}

/// Reply to `LOGS`.
public struct LogsReply: Codable, Sendable, Hashable {
    public var stdout: String?
    public var stderr: String?
    public init(stdout: String?, stderr: String?) {
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Life cycle of a run as the daemon sees it.
public enum RunState: String, Codable, Sendable, Hashable {
    /// Container being created and staged.
    case starting
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
        case error, cancelled
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
