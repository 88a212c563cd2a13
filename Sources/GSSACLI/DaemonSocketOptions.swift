import ArgumentParser
import Foundation

/// Where the launch daemon listens: one option and one environment variable for every command
/// that talks to it (`run`, `container run`, `server`, `inspect --run`).
///
/// `--daemon-socket`, else `$GSSA_DAEMON_SOCKET`, else `/run/gssa/dockerlaunch.sock`. The names
/// these commands used before (`--socket`, `--launcher`, `$GSSA_LAUNCHER_SOCKET`,
/// `$GSSA_DOCKERLAUNCH_SOCKET`) still work, hidden from the help.
struct DaemonSocketOptions: ParsableArguments {
    static let environmentVariable = "GSSA_DAEMON_SOCKET"
    static let legacyEnvironmentVariables = ["GSSA_LAUNCHER_SOCKET", "GSSA_DOCKERLAUNCH_SOCKET"]
    static let defaultPath = "/run/gssa/dockerlaunch.sock"

    @Option(name: .customLong("daemon-socket"), help: ArgumentHelp(
        "The launch daemon's Unix socket (default $GSSA_DAEMON_SOCKET or /run/gssa/dockerlaunch.sock).", valueName: "path"))
    var daemonSocket: String?

    @Option(name: .customLong("socket"), help: .hidden) var legacySocket: String?
    @Option(name: .customLong("launcher"), help: .hidden) var legacyLauncher: String?

    /// The socket to use: the options first, then the environment, then the default.
    func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let given = daemonSocket ?? legacySocket ?? legacyLauncher { return given }
        for name in [Self.environmentVariable] + Self.legacyEnvironmentVariables {
            if let value = environment[name], !value.isEmpty { return value }
        }
        return Self.defaultPath
    }
}
