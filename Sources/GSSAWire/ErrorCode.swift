/// The GSSA outcome taxonomy, shared by the server, families, daemon and container.
///
/// The integer values are part of the wire format: containers pick their class with
/// their process exit code (`sys.exit(4)` is ``model``), and clients read `id`.
public enum ErrorCode: Int, Sendable, Hashable, CaseIterable, Codable {
    case success = 0
    case unknown = 1
    case client = 2
    case server = 3
    case model = 4
    case inProgress = 5
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
