import ArgumentParser
import Foundation
import GSSA

/// The `gssa` command tree.
public struct GSSACommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gssa",
        abstract: "Run simulation families in containers: check, configure, mesh and compare GSSA-XML.",
        subcommands: [
            // definitions and families
            ValidateCommand.self, ConfigureCommand.self, GSSFCommand.self, CompareCommand.self, FamiliesCommand.self,
            // running here: the embedded lifecycle, host meshing, images, containers through the daemon
            RunCommand.self, MeshCommand.self, ImagesCommand.self, ContainerCommand.self,
            // the simulation server and its clients
            ServerCommand.self, UsersCommand.self, LaunchSimulationCommand.self, SearchCommand.self, StatusCommand.self,
            LogsCommand.self, CancelCommand.self, ResultsCommand.self, DiagnosticCommand.self, InspectCommand.self,
            CleanCommand.self,
        ]
    )

    public init() {}

    /// Runs the tree and exits with gssa's status convention: 0 success, 1 failed or different,
    /// 2 invalid input. Errors go to stderr prefixed by their code (`E_CLIENT: …`).
    public static func runAndExit(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) async -> Never {
        let json = arguments.contains("--json")
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch let error as GSSAError {
            CLIOutput.report(error, json: json)
            Foundation.exit(error.code == .client ? 2 : 1)
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            CLIOutput.report(GSSAError.client(fullMessage(for: error)), json: json)
            Foundation.exit(2)
        }
    }
}
