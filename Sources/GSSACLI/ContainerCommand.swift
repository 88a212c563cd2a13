import ArgumentParser
import Foundation
import GSSA
import LaunchClient
import LaunchProtocol

/// `gssa container …`: talk to the launch daemon directly.
struct ContainerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container", abstract: "Run prepared input directories in containers through gssa-dockerlaunch.",
        subcommands: [ContainerRunCommand.self])
}

/// `gssa container run INPUT_DIR --image IMAGE --out DIR`: one run through the daemon.
///
/// For researchers with a prepared input directory (what a family's `configure` writes):
/// it starts the run, prints progress as it comes, copies the output into `--out` and exits
/// with the run's error class (0 SUCCESS, 1 E_UNKNOWN, 2 E_CLIENT, 3 E_SERVER, 4 E_MODEL,
/// 6 E_CANCELLED), read from `logs/exit_status` as the original server did.
struct ContainerRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run INPUT_DIR in IMAGE through the launch daemon; exit with the error class.")

    @Argument(help: "Prepared input directory (parameters.yml, regions.yml, start.tar.gz, …).")
    var input: String

    @Option(help: "Image to run; must be on the daemon's allowed_images.")
    var image: String

    @Option(name: .customLong("out"), help: "Directory that receives the output (logs/, run/).")
    var output: String

    @OptionGroup var daemonSocket: DaemonSocketOptions

    @Option(help: "Wall-clock limit in seconds (default: the daemon's).")
    var walltime: Double?

    @Option(help: "Memory limit, e.g. 512m or 2g (default: the daemon's).")
    var memory: String?

    @Option(help: "Start archive inside the input directory, passed to the runner (e.g. start.tar.gz).")
    var archive: String?

    @Option(help: "Script or executable to run, relative to the run directory (e.g. start.py).")
    var target: String?

    @Option(help: "Command prefix for the target (e.g. python3).")
    var interpreter: String?

    @Flag(help: "Also print the container's output lines as they come.")
    var logs = false

    @Flag(help: "Print a machine-readable JSON summary on stdout.")
    var json = false

    struct Summary: Encodable {
        var guid: String
        var code: String
        var message: String
        var result: RunResult
        var output: String
    }

    func run() async throws {
        let inputURL = URL(fileURLWithPath: self.input).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: inputURL.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw GSSAError.client("input directory not found: \(self.input)")
        }
        let outputURL = URL(fileURLWithPath: self.output).standardizedFileURL
        var limits: ContainerLimits?
        if let memory {
            guard let bytes = ByteSize.parse(memory) else { throw GSSAError.client("--memory '\(memory)' is not a size like 512m") }
            limits = ContainerLimits(memory: bytes)
        }
        let socket = daemonSocket.path()
        let guid = "cli-" + UUID().uuidString.lowercased()
        let arguments = StartArguments(
            guid: guid, image: self.image, input: inputURL.path, output: outputURL.path, limits: limits,
            walltime: self.walltime, archive: self.archive, target: self.target, interpreter: self.interpreter,
            logs: self.logs)
        let json = self.json
        let result: RunResult = try await LaunchClient.withConnection(socket: socket) { client in
            let reply = try await client.start(arguments)
            if !json {
                CLIOutput.standardError("started \(guid) in \(reply.containerID?.prefix(12) ?? "?") (\(reply.imageID ?? self.image))")
            }
            for await event in client.events where event.guid == guid {
                switch event {
                case .status(_, let percentage, let message):
                    let pct = percentage.map { String(format: "%5.1f%%", $0) } ?? "   -  "
                    if !json { print("[\(pct)] \(message)") }
                case .log(_, let stream, let line):
                    if !json { print(stream == .stderr ? "  ! \(line)" : "  | \(line)") }
                case .exit(_, let result):
                    return result
                }
            }
            throw GSSAError.server("the launch daemon closed the connection before run \(guid) finished")
        }

        // The one classification of a run's outcome (LaunchClient's RunResult.outcome).
        let outcome = result.outcome(output: outputURL)
        let status = outcome
        if json {
            CLIOutput.printJSON(Summary(guid: guid, code: status.code.name, message: status.message, result: result, output: outputURL.path))
        } else {
            let exit = result.exitCode.map(String.init) ?? "none"
            print("\(status.code.name): \(status.message.isEmpty ? "OK" : status.message) (exit \(exit); output in \(outputURL.path))")
        }
        if status.code != .success { throw ExitCode(Int32(status.code.rawValue)) }
    }
}
