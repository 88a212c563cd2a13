import ArgumentParser
import Foundation
import GSSA
import GSSAAPI
import NIOHTTP1

/// `gssa cancel GUID`: cancels a run at any stage.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a simulation.")

    @Argument(help: "GUID or unique GUID prefix.") var guid: String
    @OptionGroup var client: ClientOptions
    @OptionGroup var options: OutputOptions

    func run() async throws {
        let run = try await client.client().json(SimulationSummary.self, .POST, ServerClient.runPath(guid, "cancel"))
        if options.json { CLIOutput.printJSON(run) } else { print("\(run.guid): \(run.state.rawValue)") }
    }
}
