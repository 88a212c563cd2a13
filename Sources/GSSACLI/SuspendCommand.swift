import ArgumentParser
import Foundation
import GSSA
import GSSAAPI
import NIOHTTP1

/// `gssa suspend GUID`: suspend a running simulation (its container is paused; its walltime stops).
struct SuspendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "suspend", abstract: "Suspend a running simulation (its container is paused; its walltime stops).")

    @Argument(help: "GUID or unique GUID prefix.") var guid: String
    @OptionGroup var client: ClientOptions
    @OptionGroup var options: OutputOptions

    func run() async throws {
        let run = try await client.client().json(SimulationSummary.self, .POST, ServerClient.runPath(guid, "suspend"))
        if options.json { CLIOutput.printJSON(run) } else { print("\(run.guid): \(run.state.rawValue)") }
    }
}
