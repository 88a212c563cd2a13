import Foundation
import GSSACore
import LaunchProtocol

extension RunResult {
    /// The run's outcome as one error class and message, decided here and only here.
    ///
    /// The launch daemon's result and the runner's `exit_status` in `output` together decide it,
    /// so the server, `gssa container run` and `gssa inspect --run` all report a run the same way:
    /// cancelled → `E_CANCELLED`; walltime (or WAIT timeout) → `E_MODEL` "timed out after N s";
    /// the kernel's OOM kill → `E_MODEL` "out of memory (limit N)"; an output over its quota →
    /// `E_MODEL` naming the quota; an output that could not be collected → `E_SERVER`; otherwise
    /// the runner's `exit_status` (code `.success` for a run that succeeded).
    ///
    /// - Parameter cancelled: The caller itself cancelled the run (e.g. the server's cancel raced
    ///   the daemon's result).
    public func outcome(output: URL, cancelled: Bool = false) -> GSSAError {
        if self.cancelled || cancelled {
            return .cancelled("Cancelled at user request")
        }
        if self.timedOut {
            return .model(Self.timeoutMessage(after: self.timedOutAfter))
        }
        if self.oomKilled {
            return .model(Self.outOfMemoryMessage(limit: self.memoryLimit))
        }
        if let error = self.error, let name = self.errorCode, let code = ErrorCode(name: name), code != .success {
            return GSSAError(code, error)
        }
        if !self.outputCollected, let error = self.error {
            return .server("the run's output could not be collected: \(error)")
        }
        if FileManager.default.fileExists(atPath: output.appendingPathComponent("logs/exit_status").path) {
            let status = ExitStatus.read(output: output)
            let message = status.reportedMessage
            return GSSAError(
                status.errorCode, message.isEmpty ? (status.errorCode == .success ? "Success" : "Failed") : message)
        }
        if self.exitCode == 0 {
            return GSSAError(.success, "Success")
        }
        if let code = self.exitCode {
            return .unknown("the container exited with code \(code) and left no exit status")
        }
        return .server(self.error ?? "the container vanished without an exit code")
    }
}
