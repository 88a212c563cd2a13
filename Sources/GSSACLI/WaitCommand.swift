import ArgumentParser
import Foundation
import GSSA
import GSSAAPI
import NIOHTTP1

/// `gssa wait GUID`: waits for a run launched earlier and exits with its error class
/// (0 success, 4 E_MODEL, 6 E_CANCELLED, …), so scripts can chain on it.
struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait", abstract: "Wait until a simulation ends; exit with its error class.")

    @Argument(help: "GUID or unique GUID prefix.") var guid: String
    @Flag(help: "No progress on stderr.") var quiet = false
    @OptionGroup var follow: FollowOptions
    @OptionGroup var client: ClientOptions
    @OptionGroup var options: OutputOptions

    func run() async throws {
        let client = try client.client()
        let current = try await client.json(SimulationSummary.self, .GET, ServerClient.runPath(guid))
        let progress = quiet || options.json ? nil : ProgressLine()
        let outcome: GSSAError
        if current.state.isTerminal {
            outcome = current.exitStatus ?? GSSAError(.unknown, "ended without a status")
            progress?.finish(outcome)
        } else {
            outcome = try await follow.follower(client: client, guid: current.guid, progress: progress).run()
        }
        if options.json {
            CLIOutput.printJSON(try await client.json(SimulationSummary.self, .GET, ServerClient.runPath(current.guid)))
        } else {
            CLIOutput.printLine("\(current.guid) \(outcome.code.name)")
        }
        if outcome.code != .success { throw ExitCode(GSSACommand.exitStatus(for: outcome.code)) }
    }
}
