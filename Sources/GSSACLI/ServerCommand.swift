import ArgumentParser
import Foundation
import GSSA
import GSSAServer
import Logging

/// `gssa server --listen HOST:PORT --data DIR --launcher SOCKET`: the simulation server.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server", abstract: "Run the GSSA simulation server (HTTP/JSON API, WebSocket events).")

    @Option(help: "Address to listen on, HOST:PORT.") var listen = "127.0.0.1:8080"
    @Option(help: "Directory for the SQLite database and the working directories.") var data: String
    @Option(help: "The launch daemon's Unix socket.") var launcher: String
    @Option(help: "Wall-clock limit per run in seconds (default: the daemon's).") var walltime: Double?
    @Option(help: "Host mesher for Docker+CGAL families: an executable run with the run directory as argument (default: `gssa mesh` in a child process).")
    var mesher: String?
    @Option(help: "Threads per host mesh (default: the mesher's).") var meshThreads: Int?
    @OptionGroup var options: CommonOptions

    func run() async throws {
        let (host, port) = try Self.parseListen(listen)
        let mesher: any HostMesher = self.mesher.map { CommandHostMesher(executable: $0, arguments: ["{run}"]) }
            ?? CGALHostMesher.make(threads: meshThreads)
        try await SimulationServer.run(
            listen: host, port: port, data: URL(fileURLWithPath: data), launcherSocket: launcher, mesher: mesher,
            walltime: walltime, registry: options.registry())
    }

    static func parseListen(_ text: String) throws(GSSAError) -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
        else { throw GSSAError.client("--listen must be HOST:PORT, not '\(text)'") }
        let host = String(text[..<colon])
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}
