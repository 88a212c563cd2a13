import ArgumentParser
import Foundation
import GSSA
import GSSAAPI
import NIOHTTP1

/// `gssa reschedule GUID`: run a finished, failed or cancelled simulation again as a new run (printed), linked to it.
struct RescheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reschedule", abstract: "Run a finished, failed or cancelled simulation again as a new run (printed), linked to it.")

    @Argument(help: "GUID or unique GUID prefix.") var guid: String
    @OptionGroup var client: ClientOptions
    @OptionGroup var options: OutputOptions

    func run() async throws {
        let run = try await client.client().json(SimulationSummary.self, .POST, ServerClient.runPath(guid, "reschedule"))
        if options.json { CLIOutput.printJSON(run) } else { print("\(run.guid): \(run.state.rawValue)") }
    }
}
