import ArgumentParser
import Foundation
import GSSA
import GSSAServer
import Logging

/// `gssa server --listen HOST:PORT --data DIR [--daemon-socket SOCKET]`: the simulation server.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server", abstract: "Run the GSSA simulation server (HTTP/JSON API, WebSocket events).")

    @Option(help: "Address to listen on, HOST:PORT.") var listen = "127.0.0.1:8080"
    @Option(help: "Directory for the SQLite database and the working directories.") var data: String
    @OptionGroup var daemonSocket: DaemonSocketOptions
    @Option(help: "Wall-clock limit per run in seconds (default: the daemon's).") var walltime: Double?
    @Option(help: "Host mesher for Docker+CGAL families: an executable run with the run directory as argument (default: `gssa mesh` in a child process).")
    var mesher: String?
    @Option(help: "Threads per host mesh (default: all cores; 1 gives reproducible meshes).") var meshThreads: Int?
    @Option(help: "Largest input archive accepted, compressed (bytes; K, M, G suffixes).") var maxUploadBytes = "256M"
    @Option(help: "Largest total an input archive may expand to (bytes; K, M, G suffixes).") var maxExpandedBytes = "2G"
    @Option(help: "Most members an input archive may hold.") var maxArchiveEntries = 10_000
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
        if let meshThreads, meshThreads < 1 {
            throw ValidationError("--mesh-threads must be at least 1, not \(meshThreads)")
        }
    }

    func run() async throws {
        let (host, port) = try Self.parseListen(listen)
        let mesher: any HostMesher = self.mesher.map { CommandHostMesher(executable: $0, arguments: ["{run}"]) }
            ?? CGALHostMesher.make(threads: meshThreads)
        try await SimulationServer.run(
            listen: host, port: port, data: URL(fileURLWithPath: data), launcherSocket: daemonSocket.path(), mesher: mesher,
            walltime: walltime, limits: try limits(), scheduling: try scheduling.configuration(), registry: options.registry())
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
