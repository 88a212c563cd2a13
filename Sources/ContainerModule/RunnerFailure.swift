import GSSAWire

/// A failure of the runner itself (bad start archive, unwritable /shared, ...), before or
/// around the model. It becomes the exit_status file and the runner's exit code.
///
/// Classed with the one taxonomy, ``ErrorCode`` (from GSSAWire, which the static runner links);
/// `GSSAError` itself stays out of the runner, whose binary carries no Foundation.
public struct RunnerFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func client(_ message: String) -> RunnerFailure { RunnerFailure(.client, message) }
    public static func server(_ message: String) -> RunnerFailure { RunnerFailure(.server, message) }

    /// The runner's process exit code for this failure: the class's number.
    public var exitCode: Int32 { Int32(code.rawValue) }

    public var description: String { "\(code.name): \(message)" }
}
