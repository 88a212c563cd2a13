import ArgumentParser
import Foundation
import GSSA
import GSSALogging
import GSSAServer
import Logging

/// `gssa server --listen HOST:PORT --data DIR [--daemon-socket SOCKET]`: the simulation server.
///
/// `--config FILE` reads the same options from YAML (see `configurationKeys`); options typed on
/// the command line win over the file.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server", abstract: "Run the GSSA simulation server (HTTP/JSON API, WebSocket events).",
        discussion: """
            --config FILE reads options from YAML: each key is an option's long name without -- and with _ for - \
            (max_upload_bytes: 256M is --max-upload-bytes 256M; families takes a list; json: true sets --json). \
            Options on the command line win over the file. An unknown key or a bad value stops the server at \
            start-up, naming the file, the line and the key. The package's /etc/gssa/server.yml shows them all.
            """)

    /// Every option as a key of `--config FILE`, in one place: an option added to this command
    /// gets its key with one line here (a test fails while `gssa server --help` shows an option
    /// without one).
    static let configurationKeys: [ConfigurationKey] = [
        ConfigurationKey("listen", .checked { text throws(GSSAError) in _ = try ServerCommand.parseListen(text) }),
        ConfigurationKey("data", .text),
        ConfigurationKey("daemon_socket", .text, aliases: ["--socket", "--launcher"]),
        ConfigurationKey("walltime", .positiveNumber),
        ConfigurationKey("mesher", .text),
        ConfigurationKey("mesh_threads", .integer(minimum: 1)),
        ConfigurationKey("max_upload_bytes", .size),
        ConfigurationKey("max_expanded_bytes", .size),
        ConfigurationKey("max_archive_entries", .integer(minimum: 1)),
        ConfigurationKey("session_lifetime", .integer(minimum: 1)),
        ConfigurationKey("max_sweep_size", .integer(minimum: 1)),
        // scheduling (SchedulingOptions; docs/administration.md)
        ConfigurationKey("scheduler", .choice(["fifo", "fairshare"])),
        ConfigurationKey("cores", .positiveNumber),
        ConfigurationKey("overcommit", .positiveNumber),
        ConfigurationKey("memory", .size),
        ConfigurationKey("default_run_cores", .positiveNumber),
        ConfigurationKey("default_run_memory", .size),
        ConfigurationKey("max_run_cores", .positiveNumber),
        ConfigurationKey("max_run_memory", .size),
        ConfigurationKey("fairshare_half_life", .positiveNumber),
        ConfigurationKey("fairshare_age_weight", .checked(ServerCommand.checkWeight)),
        ConfigurationKey("fairshare_priority_weight", .checked(ServerCommand.checkWeight)),
        ConfigurationKey("fairshare_usage_weight", .checked(ServerCommand.checkWeight)),
        ConfigurationKey("fairshare_size_weight", .checked(ServerCommand.checkWeight)),
        ConfigurationKey("fairshare_age_horizon", .positiveNumber),
        ConfigurationKey("pool", .list),
        ConfigurationKey("max_pending_per_user", .integer(minimum: 1)),
        ConfigurationKey("max_pending", .integer(minimum: 1)),
        ConfigurationKey("log_format", .choice(LogFormat.allCases.map(\.rawValue))),
        ConfigurationKey("log_level", .choice(Logger.Level.allCases.map(\.rawValue))),
        ConfigurationKey("families", .list),
        ConfigurationKey("json", .flag),
    ]

    @Option(help: ArgumentHelp("YAML configuration: a key per option (e.g. /etc/gssa/server.yml); options given here win.", valueName: "file"))
    var config: String?
    @Option(help: "Address to listen on, HOST:PORT.") var listen = "127.0.0.1:8080"
    @Option(help: "Directory for the SQLite database and the working directories.") var data: String
    @OptionGroup var daemonSocket: DaemonSocketOptions
    @Option(help: "Wall-clock limit per run in seconds (default: the daemon's).") var walltime: Double?
    @Option(help: "Host mesher for Docker+CGAL families: an executable run with the run directory as argument (default: `gssa mesh` in a child process).")
    var mesher: String?
    @Option(help: "Threads per host mesh with CGAL volumes (default: all cores; 1 gives reproducible meshes; HXT volumes are always reproducible).") var meshThreads: Int?
    @Option(help: "Largest input archive accepted, compressed (bytes; K, M, G suffixes).") var maxUploadBytes = "256M"
    @Option(help: "Largest total an input archive may expand to (bytes; K, M, G suffixes).") var maxExpandedBytes = "2G"
    @Option(help: "Most members an input archive may hold.") var maxArchiveEntries = 10_000
    @Option(help: "How long a web dashboard sign-in lasts, in seconds.") var sessionLifetime = 8 * 3600
    @Option(help: "Most children one sweep (a launch with sweep values) may have.") var maxSweepSize = 1000
    @Option(help: "Log records on stdout as text (for journalctl) or json (one object per line).") var logFormat = "text"
    @Option(help: "Least severe log level written: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"
    @OptionGroup(title: "Scheduling") var scheduling: SchedulingOptions
    @OptionGroup var options: CommonOptions

    /// Every option is checked before anything starts, so a mistake is a usage error naming the option.
    func validate() throws {
        do {
            _ = try Self.parseListen(listen)
            _ = try limits()
        } catch {
            throw ValidationError(error.message)
        }
        if let walltime, !(walltime.isFinite && walltime > 0) {
            throw ValidationError("--walltime must be a positive number of seconds, not \(walltime)")
        }
        if !(1...(30 * 86_400)).contains(sessionLifetime) {
            throw ValidationError("--session-lifetime must be 1 to 2592000 seconds (30 days), not \(sessionLifetime)")
        }
        if maxSweepSize < 1 || maxSweepSize > 1_000_000 {
            throw ValidationError("--max-sweep-size must be from 1 to 1000000, not \(maxSweepSize)")
        }
        if let meshThreads, meshThreads < 1 {
            throw ValidationError("--mesh-threads must be at least 1, not \(meshThreads)")
        }
        guard LogFormat(rawValue: logFormat) != nil else {
            throw ValidationError("--log-format must be text or json, not '\(logFormat)'")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), not '\(logLevel)'")
        }
    }

    func run() async throws {
        (LogFormat(rawValue: logFormat) ?? .text).bootstrap(level: Logger.Level(rawValue: logLevel) ?? .info)
        var logger = Logger(label: "gssa.server")
        if let config { logger[metadataKey: "config"] = "\(config)" }
        let (host, port) = try Self.parseListen(listen)
        let mesher: any HostMesher = self.mesher.map { CommandHostMesher(executable: $0, arguments: ["{run}"]) }
            ?? CGALHostMesher.make(threads: meshThreads)
        try await SimulationServer.run(
            listen: host, port: port, data: URL(fileURLWithPath: data), launcherSocket: daemonSocket.path(), mesher: mesher,
            walltime: walltime, limits: try limits(), maximumSweepSize: maxSweepSize, scheduling: try scheduling.configuration(),
            registry: options.registry(), web: WebConfiguration(sessionLifetime: .seconds(sessionLifetime)), logger: logger)
    }

    /// A fair-share weight: a finite number, zero or more.
    static func checkWeight(_ text: String) throws(GSSAError) {
        guard let value = Double(text), value.isFinite, value >= 0 else {
            throw GSSAError.client("a fair-share weight must be a number of at least 0, not '\(text)'")
        }
    }

    func limits() throws(GSSAError) -> UploadLimits {
        guard maxArchiveEntries > 0 else { throw GSSAError.client("--max-archive-entries must be positive, not \(maxArchiveEntries)") }
        return UploadLimits(
            maximumUploadBytes: try Self.parseSize(maxUploadBytes, option: "--max-upload-bytes"),
            maximumExpandedBytes: try Self.parseSize(maxExpandedBytes, option: "--max-expanded-bytes"),
            maximumArchiveEntries: maxArchiveEntries)
    }

    /// `1048576`, `512K`, `256M`, `2G` (binary units) → bytes, positive and below 2^62.
    static func parseSize(_ text: String, option: String) throws(GSSAError) -> Int64 {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        var scale: Int64 = 1
        if let last = digits.last?.uppercased().first, let unit = units[last] {
            scale = unit
            digits = digits.dropLast()
        }
        guard let value = Int64(digits), value > 0, value <= (Int64(1) << 62) / scale else {
            throw GSSAError.client("\(option) must be a positive size such as 1048576, 512K, 256M or 2G, not '\(text)'")
        }
        return value * scale
    }

    static func parseListen(_ text: String) throws(GSSAError) -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
        else { throw GSSAError.client("--listen must be HOST:PORT, not '\(text)'") }
        let host = String(text[..<colon])
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}
