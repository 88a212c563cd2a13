import ArgumentParser
import Foundation
import GSSA
import GSSAServer
import Yams

/// Which server an admin command acts on: `--data DIR`, else the `data` key of the server's
/// configuration (`--config FILE`, default `/etc/gssa/server.yml`), so on an installed server
/// `gssa admin backup --to FILE` needs nothing else.
struct AdminDataOptions: ParsableArguments {
    static let defaultConfig = "/etc/gssa/server.yml"

    @Option(help: "The server's data directory (default: the data key of --config).") var data: String?
    @Option(help: ArgumentHelp("The server's configuration, read for its data key (default /etc/gssa/server.yml).", valueName: "file"))
    var config: String?

    /// The server configuration's keys as text (empty when there is no file to read).
    func serverSettings() throws(GSSAError) -> [String: String] {
        let path = config ?? Self.defaultConfig
        guard config != nil || FileManager.default.fileExists(atPath: path) else { return [:] }
        let text = try ConfigurationFile.read(path)
        // Checked as the server checks it: a file the server would refuse is refused here too.
        _ = try ConfigurationFile.options(fromYAML: text, file: path, keys: ServerCommand.configurationKeys, commandLine: [])
        guard let mapping = (try? Yams.compose(yaml: text))?.mapping else { return [:] }
        var settings: [String: String] = [:]
        for (key, value) in mapping {
            if let name = key.string, let text = value.scalar?.string { settings[name] = text }
        }
        return settings
    }

    /// The data directory to act on.
    func directory() throws(GSSAError) -> URL {
        if let data { return URL(fileURLWithPath: data) }
        guard let data = try serverSettings()["data"] else {
            throw .client("give --data DIR (or --config FILE with a data key; \(Self.defaultConfig) has none or is missing)")
        }
        return URL(fileURLWithPath: data)
    }

    func databasePath() throws(GSSAError) -> String {
        ServerConfiguration(dataDirectory: try directory(), serverID: "admin").databasePath
    }

    /// The server's store, which must exist (an admin command never creates a database by accident).
    func store() throws -> SQLiteSimulationStore {
        let path = try databasePath()
        guard FileManager.default.fileExists(atPath: path) else {
            throw GSSAError.client("no server database at \(path) (is --data the server's data directory?)", attribute: "--data")
        }
        return try SQLiteSimulationStore(path: path)
    }
}
