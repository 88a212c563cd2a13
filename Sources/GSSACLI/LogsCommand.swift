import ArgumentParser
import Foundation
import GSSA
import GSSAAPI

/// `gssa logs GUID [--stdout]`: the run's stderr (default) or stdout.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a simulation's container logs.")

    @Argument(help: "GUID or unique GUID prefix.") var guid: String
    @Flag(help: "Show stdout instead of stderr.") var stdout = false
    @OptionGroup var client: ClientOptions
    @OptionGroup var options: CommonOptions

    func run() async throws {
        let logs = try await client.client().json(
            API.Logs.self, .GET, ServerClient.runPath(guid, "logs") + "?only=\(stdout ? "stdout" : "stderr")")
        if options.json {
            CLIOutput.printJSON(logs)
        } else {
            FileHandle.standardOutput.write(Data(((stdout ? logs.stdout : logs.stderr) ?? "").utf8))
        }
    }
}
