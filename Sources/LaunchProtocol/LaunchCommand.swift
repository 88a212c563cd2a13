/// The commands the launch daemon understands.
///
/// Every command except `START` and `USAGE` acts on one run, named by the `guid` argument or,
/// when that is absent, by the last run this connection started or attached to. Whichever
/// way it is named, only the uid that created the run may act on it.
public enum LaunchCommand: String, Codable, Sendable, CaseIterable {
    /// Create, stage and start a container; the connection then receives the run's events.
    case start = "START"
    /// Container ID, image ID and state of a run.
    case container = "CONTAINER"
    /// The captured stdout/stderr of a run.
    case logs = "LOGS"
    /// Wait for a run to finish; on timeout the container is killed and the run is timed out.
    case wait = "WAIT"
    /// Kill and remove a run's container; the run finishes as cancelled.
    case destroy = "DESTROY"
    /// Running containers of this daemon against the cap.
    case usage = "USAGE"
    /// Re-subscribe to a run (after a client or daemon restart) and receive its events.
    case attach = "ATTACH"
    /// Pause a running run's container (`docker pause`); its walltime clock stops until `RESUME`.
    case suspend = "SUSPEND"
    /// Unpause a run paused by `SUSPEND`; its walltime deadline moves by the time it was paused.
    case resume = "RESUME"
}

/// The first thing the daemon decodes from a request line, to pick the argument type.
public struct LaunchRequestHead: Codable, Sendable {
    /// The command name as sent (`START`, `WAIT`…); kept a string so an unknown one gets a clear error reply.
    public var command: String
}

/// `{"command": "...", "arguments": {...}|null}`.
public struct LaunchRequest<Arguments: Codable & Sendable>: Codable, Sendable {
    /// What to do.
    public var command: LaunchCommand
    /// The command's arguments; `null` for commands that need none.
    public var arguments: Arguments?

    /// Creates a request.
    public init(_ command: LaunchCommand, _ arguments: Arguments?) {
        self.command = command
        self.arguments = arguments
    }
}

/// Arguments for commands that only name a run.
public struct RunArguments: Codable, Sendable, Hashable {
    /// The run to act on; nil means the last run this connection started or attached to.
    public var guid: String?
    /// Creates run arguments.
    public init(guid: String? = nil) { self.guid = guid }
}

/// `ATTACH {guid, logs?}`.
public struct AttachArguments: Codable, Sendable, Hashable {
    /// The run to re-subscribe to; always named, since a new connection has no last run.
    public var guid: String
    /// Also relay the container's non-status output lines as log events.
    public var logs: Bool?
    /// Creates attach arguments.
    public init(guid: String, logs: Bool? = nil) {
        self.guid = guid
        self.logs = logs
    }
}

/// `WAIT {guid?, timeout?}`; `timeout` in seconds.
public struct WaitArguments: Codable, Sendable, Hashable {
    /// The run to wait for; nil means the connection's last run.
    public var guid: String?
    /// Seconds to wait before the run is killed and marked timed out; nil waits for as long as the run lasts.
    public var timeout: Double?
    /// Creates wait arguments.
    public init(guid: String? = nil, timeout: Double? = nil) {
        self.guid = guid
        self.timeout = timeout
    }
}

/// `LOGS {guid?, only?}` with `only` one of `stdout`, `stderr`.
public struct LogsArguments: Codable, Sendable, Hashable {
    /// The run whose output to return; nil means the connection's last run.
    public var guid: String?
    /// Return only this stream; nil returns both.
    public var only: LogStream?
    /// Creates logs arguments.
    public init(guid: String? = nil, only: LogStream? = nil) {
        self.guid = guid
        self.only = only
    }
}

/// Which output stream of the container a log line came from.
public enum LogStream: String, Codable, Sendable, Hashable {
    /// The container's standard output or standard error.
    case stdout, stderr
}
