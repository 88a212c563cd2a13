import ArgumentParser
import ContainerEngine
import Foundation
import GSSA
import GSSAServer

/// `gssa admin …`: the host administrator's commands. They act on the server's data directory
/// (`--data`, or the `data` key of the server's configuration) and, for `prune-engine`, on the
/// Docker engine, directly, like `gssa users`.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Administer an installed server: its data, its users' archives and the engine.",
        discussion: "One file per subcommand where it grows (`Admin*Command.swift`); the small ones live here.",
        subcommands: [
            AdminMigrateCommand.self, AdminBackupCommand.self, AdminRestoreCommand.self, AdminDoctorCommand.self,
            AdminUsageCommand.self, Archive.self, Prune.self, PruneEngine.self,
        ])

    struct Listed: Encodable {
        var simulations: [String]
    }

    static func report(_ names: [String], _ verb: String, json: Bool) {
        if json { CLIOutput.printJSON(Listed(simulations: names)) } else {
            for name in names { print(name) }
            CLIOutput.standardError("gssa: \(verb) \(names.count) simulation\(names.count == 1 ? "" : "s")")
        }
    }

    struct Archive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "archive",
            abstract: "Archive a departed user's records, events and run directories to one tar.gz, then remove them and the user.")

        @Argument(help: "The user.") var user: String
        @Option(help: "The archive to write (must not exist).") var to: String
        @OptionGroup var data: AdminDataOptions
        @OptionGroup var options: OutputOptions

        func run() async throws {
            let names = try await RunArchive.archive(
                user: user, to: URL(fileURLWithPath: to), store: try data.store(), data: try data.directory())
            AdminCommand.report(names, "archived", json: options.json)
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune", abstract: "Remove the directories and records of runs that ended long ago.")

        @Option(help: "Age: 30d, 12h, 90m, 45s.") var olderThan: String
        @Option(help: "Only runs in these end states (comma-separated: succeeded, failed, cancelled).") var state: String?
        @OptionGroup var data: AdminDataOptions
        @OptionGroup var options: OutputOptions

        func run() async throws {
            var states: Set<SimulationState>?
            if let state {
                states = []
                for name in state.split(separator: ",") {
                    guard let parsed = SimulationState(rawValue: String(name)) else {
                        throw GSSAError.client("--state '\(name)' is not a state", attribute: "--state")
                    }
                    states?.insert(parsed)
                }
            }
            let names = try await RunPruner.prune(olderThan: try RunPruner.age(olderThan), states: states, store: try data.store())
            AdminCommand.report(names, "pruned", json: options.json)
        }
    }

    struct PruneEngine: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune-engine",
            abstract: "Remove stopped containers gssa labelled (author, org, project, gssa.daemon), by age; never anything else.")

        @Option(help: "Age: 1d, 12h, 90m, 45s.") var olderThan = "1d"
        @Option(help: "The Docker engine's socket (default: DOCKER_HOST or /var/run/docker.sock).") var dockerSocket: String?
        @Option(help: "Only the containers of this launch daemon (its daemon_id).") var daemon: String?
        @Flag(help: "Only list what would be removed.") var dryRun = false
        @OptionGroup var options: OutputOptions

        func run() async throws {
            let cutoff = Date().addingTimeInterval(-(try RunPruner.age(olderThan)))
            let engine = try await DockerEngine.connect(socketPath: dockerSocket)
            let ids: [String]
            let matching = daemon.map { ["gssa.daemon": $0] } ?? [:]
            do {
                ids = dryRun
                    ? try await EngineLeftovers.find(on: engine, createdBefore: cutoff, matching: matching).map(\.id)
                    : try await EngineLeftovers.prune(on: engine, createdBefore: cutoff, matching: matching)
            } catch {
                await engine.shutdown()
                throw error
            }
            await engine.shutdown()
            if options.json { CLIOutput.printJSON(["containers": ids]) } else { for id in ids { print(id) } }
        }
    }
}
