/// The runner's `logs/exit_status` file (reference §4.3, §4.5): the one definition that the
/// runner writes, the launch daemon writes for limits, and the server and CLI read.
///
/// The first line is the exit code, the rest is the message, with no trailing newline:
///
///     0
///     OK
///
///     4
///     Error in script: <run/error_message, or the last 10 lines of job.err>
///
/// The code is kept as written (a model's own exit code may be any number); ``errorCode`` and
/// ``reportedMessage`` say what the original server made of it.
public struct ExitStatus: Sendable, Hashable {
    /// The first line: an ``ErrorCode`` value, or the model's own exit code.
    public var code: Int32
    /// The rest of the file: the human message, possibly several lines.
    public var message: String

    /// Creates a status with a raw exit code.
    public init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    /// Creates a status with a GSSA error code.
    public init(_ code: ErrorCode, _ message: String) {
        self.init(code: Int32(code.rawValue), message: message)
    }

    /// The file contents.
    public var fileContents: String { "\(code)\n\(message)" }

    /// Reads a file's text as the original server did; never fails.
    ///
    /// The first line is an integer or an error name (`E_MODEL`); the message (the rest) is
    /// trimmed. A first line that is neither becomes E_UNKNOWN with a message that quotes it.
    public init(fileContents text: String) {
        let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let first = WireText.trimmed(parts.first ?? "")
        let message = parts.count > 1 ? WireText.trimmed(parts[1], newlines: true) : ""
        if let number = Int32(first) {
            self.init(code: number, message: message)
        } else if let named = ErrorCode.allCases.first(where: { $0.name == first }) {
            self.init(named, message)
        } else {
            self.init(.unknown, "Unreadable exit status '\(first)'" + (message.isEmpty ? "" : ": " + message))
        }
    }

    /// The class the run ends in: 0–4 and 6 are themselves; 5 (IN_PROGRESS, which a finished
    /// run cannot be) and any other number are E_UNKNOWN.
    public var errorCode: ErrorCode {
        guard let known = ErrorCode(rawValue: Int(code)), known != .inProgress else { return .unknown }
        return known
    }

    /// The message clients see: ``message``, with `" [Code N]"` appended for a number outside
    /// the taxonomy so that the model's own exit code is not lost.
    public var reportedMessage: String {
        ErrorCode(rawValue: Int(code)) == nil ? message + " [Code \(code)]" : message
    }

    /// What the runner writes when the kernel's OOM killer stopped the model: it saw its
    /// cgroup's `oom_kill` counter grow. The launch daemon rewrites it with the run's limit.
    ///
    /// Docker's `OOMKilled` flag comes from an event that dockerd can handle after the exit (and
    /// a swarm task has no such flag at all), so the runner's own reading is the signal that
    /// does not depend on the engine's timing.
    public static let outOfMemoryByRunner = ExitStatus(.model, "out of memory (the kernel's OOM killer stopped the model)")

    /// True when this is the runner's out-of-memory verdict (``outOfMemoryByRunner``).
    public var reportsOutOfMemory: Bool { self == Self.outOfMemoryByRunner }
}
