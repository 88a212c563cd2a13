import GSSAWire

/// How the runner words the `exit_status` of a finished model (the format is ``ExitStatus``).
extension ExitStatus {
    /// How many trailing lines of job.err make the message when there is no error_message.
    public static let stderrTailLines = 10

    /// The status of a finished model: `OK` for 0; otherwise `Error in script: ` followed by the
    /// model's own `error_message` when it wrote one, else the tail of its stderr.
    public static func forChild(exitCode: Int32, errorMessage: String?, stderr: [UInt8], signal: Int32 = 0) -> ExitStatus {
        if exitCode == 0 { return ExitStatus(.success, "OK") }
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
        let code = exitCode == 1 && signal == 0 && endsWithPythonException(stderr) ? Int32(ErrorCode.model.rawValue) : exitCode
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
        ExitStatus(failure.code, failure.message)
    }

    /// The last `lines` lines of a byte stream (a final newline does not count as a line).
    public static func tail(of bytes: [UInt8], lines: Int) -> String {
        var text = String(decoding: bytes, as: UTF8.self)[...]
        if text.hasSuffix("\n") { text = text.dropLast() }
        let all = text.split(separator: "\n", omittingEmptySubsequences: false)
        return all.suffix(lines).joined(separator: "\n")
    }
}
