import Foundation
import GSSA

/// Shared output helpers so every command prints text and JSON the same way.
enum CLIOutput {
    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// A line on stdout written at once, not buffered (so it comes before what follows on a pipe).
    static func printLine(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Writes without adding a newline (progress bars).
    static func standardErrorRaw(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Errors: always a `CODE: message` line on stderr; with `--json` also `{"error": …}` on stdout.
    static func report(_ error: GSSAError, json: Bool) {
        standardError(error.description)
        if json { printJSON(ErrorEnvelope(error: error)) }
    }

    static func printJSON<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return }
        print(String(decoding: data, as: UTF8.self))
    }

    private struct ErrorEnvelope: Encodable { let error: GSSAError }
}
