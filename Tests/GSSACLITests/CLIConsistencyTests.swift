import Foundation
import Testing

/// One name per concept across the command tree (issue 11 item 7).
@Suite struct CLIConsistencyTests {
    /// Every command that reaches the launch daemon offers `--daemon-socket` and names
    /// `$GSSA_DAEMON_SOCKET`; the old spellings are accepted but not shown.
    @Test(arguments: [["run"], ["container", "run"], ["server"], ["inspect"]])
    func daemonSocketOption(_ command: [String]) async throws {
        let help = try await GSSABinary.run(command + ["--help"])
        #expect(help.status == 0, "\(help.stderr)")
        #expect(help.stdout.contains("--daemon-socket"), "\(command) --help: \(help.stdout)")
        #expect(help.stdout.contains("GSSA_DAEMON_SOCKET"))
        for old in ["--launcher", "--socket ", "GSSA_LAUNCHER_SOCKET", "GSSA_DOCKERLAUNCH_SOCKET"] {
            #expect(!help.stdout.contains(old), "\(command) --help still shows \(old)")
        }
    }

    @Test("the old option names and variables still reach the daemon (hidden aliases)")
    func hiddenAliases() async throws {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-alias-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: input) }
        let missing = "/nonexistent/gssa-\(UUID().uuidString.prefix(8)).sock"
        let base = ["container", "run", input.path, "--image", "x", "--out", input.appendingPathComponent("out").path]
        for (arguments, environment) in [
            (["--daemon-socket", missing], [String: String]()), (["--socket", missing], [:]), (["--launcher", missing], [:]),
            ([], ["GSSA_DAEMON_SOCKET": missing]), ([], ["GSSA_LAUNCHER_SOCKET": missing]), ([], ["GSSA_DOCKERLAUNCH_SOCKET": missing]),
        ] {
            let result = try await GSSABinary.run(base + arguments, environment: environment)
            #expect(result.status == 3, "\(arguments) \(environment): \(result.stderr)")
            #expect(result.stderr.contains(missing), "\(arguments) \(environment): \(result.stderr)")
        }
    }

    /// `--families` is offered only where a family registry is used.
    @Test(arguments: ["launch", "cancel", "clean", "logs", "status", "search", "wait", "results", "diagnostic"])
    func noFamiliesOnClientCommands(_ command: String) async throws {
        let help = try await GSSABinary.run([command, "--help"])
        #expect(help.status == 0, "\(help.stderr)")
        #expect(!help.stdout.contains("--families"), "gssa \(command) --help offers --families")
        #expect(help.stdout.contains("--server"))
    }

    @Test func meshHelpNamesTheWholeCommand() async throws {
        let help = try await GSSABinary.run(["mesh", "--help"])
        #expect(help.stdout.contains("USAGE: gssa mesh"), "\(help.stdout.prefix(300))")
    }
}
