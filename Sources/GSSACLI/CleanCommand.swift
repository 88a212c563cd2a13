import ArgumentParser
import Foundation
import GSSA
import GSSAAPI
import NIOHTTP1

/// `gssa clean GUID`: stops the run if needed and removes its files on the server.
struct CleanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "clean", abstract: "Remove a simulation's files from the server.")

    @Argument(help: "GUID or unique GUID prefix.") var guid: String
    @OptionGroup var client: ClientOptions
    @OptionGroup var options: OutputOptions

    func run() async throws {
        let run = try await client.client().json(SimulationSummary.self, .DELETE, ServerClient.runPath(guid))
        if options.json { CLIOutput.printJSON(run) } else { print("\(run.guid): cleaned") }
    }
}
