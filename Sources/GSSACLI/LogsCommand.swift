import ArgumentParser
import Foundation
import GSSA
import GSSAAPI
import NIOHTTP1

/// `gssa logs GUID [--stdout|--stderr] [-f]`: the run's container output.
///
/// Both streams by default, each under a `==> stdout <==` / `==> stderr <==` header; with `-f`
/// new lines are printed as they come, prefixed `stdout| ` / `stderr| `, until the run ends.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a simulation's container logs (stdout and stderr).")

    @Argument(help: "GUID or unique GUID prefix.") var guid: String
    @Flag(help: "Only stdout, unlabelled.") var stdout = false
    @Flag(help: "Only stderr, unlabelled.") var stderr = false
    @Flag(name: [.customShort("f"), .customLong("follow")], help: "Keep printing new output until the run ends.") var follow = false
    @Option(help: "With -f: seconds between polls.") var interval: Double = 1
    @OptionGroup var client: ClientOptions
    @OptionGroup var options: OutputOptions

    func validate() throws {
        guard !(stdout && stderr) else { throw ValidationError("--stdout and --stderr exclude each other; give neither for both") }
        guard interval >= 0.05, interval <= 3600 else { throw ValidationError("--interval must be from 0.05 to 3600 seconds, not \(interval)") }
        guard !(follow && options.json) else { throw ValidationError("-f prints text; it does not combine with --json") }
    }

    private var only: String? { stdout ? "stdout" : stderr ? "stderr" : nil }

    func run() async throws {
        let client = try client.client()
        let name = try await client.json(SimulationSummary.self, .GET, ServerClient.runPath(guid)).guid
        let path = ServerClient.runPath(name, "logs") + (only.map { "?only=\($0)" } ?? "")
        guard follow else {
            let logs = try await client.json(API.Logs.self, .GET, path)
            if options.json { CLIOutput.printJSON(logs); return }
            switch only {
            case "stdout"?: write(logs.stdout ?? "")
            case "stderr"?: write(logs.stderr ?? "")
            default:
                write("==> stdout <==\n" + Self.terminated(logs.stdout ?? ""))
                write("==> stderr <==\n" + Self.terminated(logs.stderr ?? ""))
            }
            return
        }
        var printed = ["stdout": 0, "stderr": 0]
        while true {
            // The state first: logs read after it saw the end hold everything.
            let ended = try await client.json(SimulationSummary.self, .GET, ServerClient.runPath(name)).state.isTerminal
            let logs = try await client.json(API.Logs.self, .GET, path)
            for (stream, text) in [("stdout", logs.stdout), ("stderr", logs.stderr)] {
                guard only == nil || only == stream, let text else { continue }
                let bytes = Array(text.utf8)
                var start = printed[stream] ?? 0
                if bytes.count < start { start = 0 }  // rotated or replaced: show it again
                // Whole lines only while running; the rest once the run has ended.
                var end = bytes.count
                if !ended, let newline = bytes[start...].lastIndex(of: UInt8(ascii: "\n")) { end = newline + 1 } else if !ended { end = start }
                guard end > start else { continue }
                let chunk = String(decoding: bytes[start..<end], as: UTF8.self)
                printed[stream] = end
                write(only == nil ? Self.prefixed(chunk, "\(stream)| ") : chunk)
            }
            if ended { return }
            try await Task.sleep(for: .seconds(interval))
        }
    }

    private func write(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }

    static func terminated(_ text: String) -> String { text.isEmpty || text.hasSuffix("\n") ? text : text + "\n" }

    static func prefixed(_ text: String, _ prefix: String) -> String {
        terminated(text).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { prefix + $0 + "\n" }.joined()
    }
}
