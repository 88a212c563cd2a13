/// The `logs/exit_status` file, in the original's format (reference §4.3, §4.5):
/// the first line is the exit code, the rest is the message, with no trailing newline.
///
///     0
///     OK
///
///     4
///     Error in script: <run/error_message, or the last 10 lines of job.err>
public struct ExitStatus: Sendable, Equatable {
    public var code: Int32
    public var message: String

    public init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    /// How many trailing lines of job.err make the message when there is no error_message.
    public static let stderrTailLines = 10

    /// The status of a finished model: `OK` for 0; otherwise `Error in script: ` followed by the
    /// model's own `error_message` when it wrote one, else the tail of its stderr.
    public static func forChild(exitCode: Int32, errorMessage: String?, stderr: [UInt8], signal: Int32 = 0) -> ExitStatus {
        if exitCode == 0 { return ExitStatus(code: 0, message: "OK") }
        var snippet: String
        if let errorMessage, !errorMessage.allSatisfy(\.isWhitespace) {
            snippet = errorMessage
        } else {
            snippet = tail(of: stderr, lines: stderrTailLines)
            if signal != 0 {
                snippet = "killed by signal \(signal)" + (snippet.isEmpty ? "" : "\n" + snippet)
            }
        }
        while let last = snippet.last, last == "\n" || last == "\r" { snippet.removeLast() }
        // Python exits with 1 on any uncaught exception or syntax error: that is the model's own
        // failure, so report E_MODEL (4) rather than the original's E_UNKNOWN.
        let code = exitCode == 1 && signal == 0 && endsWithPythonException(stderr) ? 4 : exitCode
        return ExitStatus(code: code, message: "Error in script: " + snippet)
    }

    /// Whether stderr ends the way CPython reports an uncaught exception: `SomeError: message`
    /// (or a bare `SomeError`) on the last line.
    static func endsWithPythonException(_ stderr: [UInt8]) -> Bool {
        let last = tail(of: stderr, lines: 1)
        let name = last.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard !name.isEmpty, !name.contains(" ") else { return false }
        let bare = name.split(separator: ".").last ?? name
        return bare.hasSuffix("Error") || bare.hasSuffix("Exception") || bare == "KeyboardInterrupt"
    }

    /// A runner failure before or around the model (bad archive, unwritable /shared, ...).
    public static func forFailure(_ failure: RunnerFailure) -> ExitStatus {
        ExitStatus(code: failure.exitClass.rawValue, message: failure.message)
    }

    /// The last `lines` lines of a byte stream (a final newline does not count as a line).
    public static func tail(of bytes: [UInt8], lines: Int) -> String {
        var text = String(decoding: bytes, as: UTF8.self)[...]
        if text.hasSuffix("\n") { text = text.dropLast() }
        let all = text.split(separator: "\n", omittingEmptySubsequences: false)
        return all.suffix(lines).joined(separator: "\n")
    }

    /// The file contents.
    public var fileContents: String { "\(code)\n\(message)" }

    /// Parses a file written in this format (first line code, rest message).
    public init?(fileContents: String) {
        let parts = fileContents.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, let code = Int32(first.trimmingSpaces) else { return nil }
        self.init(code: code, message: parts.count > 1 ? String(parts[1]) : "")
    }
}
