/// The GSSA outcome taxonomy, shared by the server, families, daemon and container.
///
/// The integer values are part of the wire format: containers pick their class with
/// their process exit code (`sys.exit(4)` is ``model``), and clients read `id`.
public enum ErrorCode: Int, Sendable, Hashable, CaseIterable, Codable {
    /// `SUCCESS` (0): the run finished without error.
    case success = 0
    /// `E_UNKNOWN` (1): a failure nothing more is known about (also any unrecognised exit code).
    case unknown = 1
    /// `E_CLIENT` (2): the request or the definition is wrong; the client must change it.
    case client = 2
    /// `E_SERVER` (3): the server, daemon or container set-up failed; not the client's fault.
    case server = 3
    /// `E_MODEL` (4): the model itself failed: the start script or the solver ended in error.
    case model = 4
    /// `IN_PROGRESS` (5): not an outcome yet; the run is still going.
    case inProgress = 5
    /// `E_CANCELLED` (6): the run was stopped on request.
    case cancelled = 6

    /// The name clients see, e.g. `E_CLIENT`.
    public var name: String {
        switch self {
        case .success: "SUCCESS"
        case .unknown: "E_UNKNOWN"
        case .client: "E_CLIENT"
        case .server: "E_SERVER"
        case .model: "E_MODEL"
        case .inProgress: "IN_PROGRESS"
        case .cancelled: "E_CANCELLED"
        }
    }

    /// Parses either a name (`E_MODEL`) or an integer (`4`), as found in `exit_status` files.
    public init?(name: String) {
        let trimmed = String(name.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).reversed())
        if let match = Self.allCases.first(where: { $0.name == trimmed }) {
            self = match
        } else if let number = Int(trimmed), let match = ErrorCode(rawValue: number) {
            self = match
        } else {
            return nil
        }
    }
}
