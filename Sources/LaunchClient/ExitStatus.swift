import Foundation
import GSSACore

/// The runner's `logs/exit_status` file, read as the original server did (reference §4.5).
///
/// The first line is an error name (`E_MODEL`) or an integer exit code: 0 SUCCESS,
/// 1 E_UNKNOWN, 2 E_CLIENT, 3 E_SERVER, 4 E_MODEL, 6 E_CANCELLED; 5 (IN_PROGRESS) counts as
/// a failure, E_UNKNOWN; any other integer is E_UNKNOWN with `" [Code N]"` appended. The
/// rest of the file is the message.
public struct ExitStatus: Sendable, Hashable {
    public var code: ErrorCode
    public var message: String

    public init(code: ErrorCode, message: String) {
        self.code = code
        self.message = message
    }

    public init(parsing text: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let first = lines.isEmpty ? "" : lines.removeFirst().trimmingCharacters(in: .whitespaces)
        var message = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        let code: ErrorCode
        if let number = Int(first) {
            switch number {
            case 0: code = .success
            case 1, 2, 3, 4, 6: code = ErrorCode(rawValue: number)!
            case 5: code = .unknown
            default:
                code = .unknown
                message += " [Code \(number)]"
            }
        } else if let named = ErrorCode(name: first) {
            code = named == .inProgress ? .unknown : named
        } else {
            code = .unknown
            message = "Unreadable exit status '\(first)'" + (message.isEmpty ? "" : ": " + message)
        }
        self.init(code: code, message: message)
    }

    /// Reads `<output>/logs/exit_status`; a missing file is E_UNKNOWN (or E_CANCELLED when the run was cancelled).
    public static func read(output: URL, cancelled: Bool = false) -> ExitStatus {
        let url = output.appendingPathComponent("logs/exit_status")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            return cancelled
                ? ExitStatus(code: .cancelled, message: "Cancelled at user request")
                : ExitStatus(code: .unknown, message: "Unknown error occurred (missing exit status)")
        }
        var status = ExitStatus(parsing: String(decoding: data, as: UTF8.self))
        if cancelled { status.message = "[Cancelled] " + status.message }
        return status
    }
}
