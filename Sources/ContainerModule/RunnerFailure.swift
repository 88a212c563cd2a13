/// The error classes a run can end in, numbered as the exit_status file and the server read
/// them (reference §4.5): 0 SUCCESS, 1 E_UNKNOWN, 2 E_CLIENT, 3 E_SERVER, 4 E_MODEL,
/// 6 E_CANCELLED.
///
/// The runner cannot link the `GSSA` target (it brings Foundation and FoundationXML into a
/// binary that must stay small and static), so it mirrors `ErrorCode`'s numbers here.
public enum ExitClass: Int32, Sendable, CaseIterable {
    case success = 0
    case unknown = 1
    case client = 2
    case server = 3
    case model = 4
    case cancelled = 6

    /// The taxonomy name, as in `ErrorCode.name`.
    public var name: String {
        switch self {
        case .success: "SUCCESS"
        case .unknown: "E_UNKNOWN"
        case .client: "E_CLIENT"
        case .server: "E_SERVER"
        case .model: "E_MODEL"
        case .cancelled: "E_CANCELLED"
        }
    }
}

/// A failure of the runner itself (bad start archive, unwritable /shared, ...), before or
/// around the model. It becomes the exit_status file and the runner's exit code.
public struct RunnerFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var exitClass: ExitClass
    public var message: String

    public init(_ exitClass: ExitClass, _ message: String) {
        self.exitClass = exitClass
        self.message = message
    }

    public static func client(_ message: String) -> RunnerFailure { RunnerFailure(.client, message) }
    public static func server(_ message: String) -> RunnerFailure { RunnerFailure(.server, message) }

    public var description: String { "\(exitClass.name): \(message)" }
}
