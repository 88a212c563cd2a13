import Foundation
import GSSAWire

extension RunResult {
    /// What a timed-out run's outcome and `exit_status` say: `timed out after N s`.
    public static func timeoutMessage(after seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return "timed out (wall-clock limit)" }
        let shown = seconds < 10 && seconds != seconds.rounded() ? String(format: "%.1f", seconds) : String(Int64(seconds.rounded()))
        return "timed out after \(shown) s"
    }

    /// What an out-of-memory run's outcome and `exit_status` say: `out of memory (limit N)`.
    public static func outOfMemoryMessage(limit: Int64?) -> String {
        guard let limit else { return "out of memory (limit unknown)" }
        return "out of memory (limit \(ByteSize.describe(limit)))"
    }

    /// The `exit_status` text the daemon writes for a run it ended for a limit (timeout, OOM),
    /// so that the file agrees with the outcome; nil for any other run.
    public var limitExitStatus: String? {
        if self.cancelled { return nil }
        if self.timedOut { return ExitStatus(.model, Self.timeoutMessage(after: self.timedOutAfter)).fileContents }
        if self.oomKilled { return ExitStatus(.model, Self.outOfMemoryMessage(limit: self.memoryLimit)).fileContents }
        return nil
    }
}
