import ArgumentParser
import Foundation
import GSSA
import GSSAAPI
import NIOHTTP1

/// `gssa resume GUID`: resume a suspended simulation.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume a suspended simulation.")

    @Argument(help: "GUID or unique GUID prefix.") var guid: String
    @OptionGroup var client: ClientOptions
    @OptionGroup var options: OutputOptions

    func run() async throws {
        let run = try await client.client().json(SimulationSummary.self, .POST, ServerClient.runPath(guid, "resume"))
        if options.json { CLIOutput.printJSON(run) } else { print("\(run.guid): \(run.state.rawValue)") }
    }
}
