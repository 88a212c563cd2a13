import Foundation
import GSSAWire

extension ExitStatus {
    /// Reads `<output>/logs/exit_status`; a missing file is E_UNKNOWN (or E_CANCELLED when the
    /// run was cancelled), and a cancelled run's message says so.
    public static func read(output: URL, cancelled: Bool = false) -> ExitStatus {
        let url = output.appendingPathComponent("logs/exit_status")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            return cancelled
                ? ExitStatus(.cancelled, "Cancelled at user request")
                : ExitStatus(.unknown, "Unknown error occurred (missing exit status)")
        }
        var status = ExitStatus(fileContents: String(decoding: data, as: UTF8.self))
        if cancelled { status.message = "[Cancelled] " + status.message }
        return status
    }
}
