import ArgumentParser
import Foundation
import GSSA
import GSSAAPI
import NIOHTTP1

/// `gssa status GUID`: one run's summary. Exit 1 when the run failed.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a simulation's status.")

    @Argument(help: "GUID or unique GUID prefix.") var guid: String
    @OptionGroup var client: ClientOptions
    @OptionGroup var options: OutputOptions

    func run() async throws {
        let run = try await client.client().json(SimulationSummary.self, .GET, ServerClient.runPath(guid))
        if options.json { CLIOutput.printJSON(run) } else { print(SummaryText.detail(run)) }
        if run.state == .failed { throw ExitCode(1) }
    }
}
