import ArgumentParser
import Foundation
import GSSA

/// The `gssa` command tree.
public struct GSSACommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gssa",
        abstract: "Run simulation families in containers: check, configure, mesh and compare GSSA-XML.",
        discussion: """
            `gssa --version` prints the release, the commit and the HTTP API version.

            Exit status (the GSSA error class):
              0  success
              1  failed or different (e.g. `compare` found differences, a batch item failed)
              2  E_CLIENT: invalid input or arguments
              3  E_SERVER: an I/O, network, engine or server failure
              4  E_MODEL: the model failed (runs only)
              6  E_CANCELLED: the run was cancelled (runs only)
            Errors go to stderr and start with their code, e.g. `E_CLIENT: line 12: <region id="r1">: …`;
            with --json they are a JSON object {"id", "code", "message"}.
            """,
        subcommands: [
            // definitions and families
            ValidateCommand.self, ConfigureCommand.self, GSSFCommand.self, CompareCommand.self, FamiliesCommand.self,
            // running here: the embedded lifecycle, host meshing, images, containers through the daemon
            RunCommand.self, RunsCommand.self, MeshCommand.self, ImagesCommand.self, ContainerCommand.self,
            // the simulation server and its clients
            ServerCommand.self, UsersCommand.self, ProjectsCommand.self, AdminCommand.self, LaunchSimulationCommand.self, SearchCommand.self, StatusCommand.self,
            LogsCommand.self, WaitCommand.self, CancelCommand.self, ResultsCommand.self, DiagnosticCommand.self, InspectCommand.self,
            CleanCommand.self, SuspendCommand.self, ResumeCommand.self, RescheduleCommand.self,
            // operating an installation: backups, schema migrations, checks, archives
            AdminCommand.self,
        ]
    )

    public init() {}

    /// Runs the tree and exits with gssa's status convention (see the discussion above): the
    /// error's class, so scripts can tell a bad definition (2) from a broken host (3) or model (4).
    /// Errors go to stderr prefixed by their code (`E_CLIENT: …`).
    public static func runAndExit(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) async -> Never {
        let json = arguments.contains("--json")
        if arguments == ["--version"] || arguments == ["version"] {
            // Handled here, not through `CommandConfiguration.version`, which would look up the
            // commit on every invocation.
            print(BuildInfo.version)
            Foundation.exit(0)
        }
        do {
            // `server --config FILE`: the file's keys become options before parsing (ConfigurationFile).
            var command = try parseAsRoot(try ConfigurationFile.expand(arguments))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch let error as GSSAError {
            CLIOutput.report(error, json: json)
            Foundation.exit(exitStatus(for: error.code))
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            // Argument-parser's own errors are usage errors; anything else that escaped a command
            // untyped (I/O, network) is the host's failure, not the caller's.
            let message = fullMessage(for: error)
            let wrapped = exitCode(for: error) == .validationFailure ? GSSAError.client(message) : GSSAError.server(message)
            CLIOutput.report(wrapped, json: json)
            Foundation.exit(exitStatus(for: wrapped.code))
        }
    }

    /// The process exit status of an error class: its GSSA id, except that "unknown" reads as a
    /// plain failure (1) and nothing that failed ever exits 0.
    public static func exitStatus(for code: ErrorCode) -> Int32 {
        switch code {
        case .success, .inProgress, .unknown: 1
        default: Int32(code.rawValue)
        }
    }
}
