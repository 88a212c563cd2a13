import ArgumentParser
import Foundation
import GSSA
import GSSAServer

/// `gssa runs list|clean [--older-than AGE]`: the runs `gssa run` keeps in its data directory
/// (`$XDG_DATA_HOME/gssa` or `~/.local/share/gssa`), which otherwise pile up.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List or remove the local runs of `gssa run`.", subcommands: [List.self, Clean.self])

    struct DataOption: ParsableArguments {
        @Option(help: "Data directory of `gssa run` (default: $XDG_DATA_HOME/gssa or ~/.local/share/gssa).") var data: String?

        var directory: URL { URL(fileURLWithPath: data ?? RunCommand.defaultDataDirectory()) }

        /// The store, or nil when `gssa run` has never run there.
        func store() throws -> SQLiteSimulationStore? {
            let path = ServerConfiguration(dataDirectory: directory).databasePath
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            return try SQLiteSimulationStore(path: path)
        }
    }

    struct Entry: Encodable {
        var guid: String
        var family: String?
        var state: SimulationState
        var created: Timestamp
        var finished: Timestamp?
        var bytes: Int64
        var directory: String
    }

    /// Bytes under `url` (0 when it is gone), not following links.
    static func size(of url: URL) -> Int64 {
        guard let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.totalFileAllocatedSizeKey, .isSymbolicLinkKey])
        else { return 0 }
        var total: Int64 = 0
        for case let file as URL in walker {
            let values = try? file.resourceValues(forKeys: [.totalFileAllocatedSizeKey])
            total += Int64(values?.totalFileAllocatedSize ?? 0)
        }
        return total
    }

    static func entries(_ store: SQLiteSimulationStore) async throws -> [Entry] {
        try await store.search(prefix: "", owner: nil, limit: nil).map {
            Entry(guid: $0.name, family: $0.family, state: $0.state, created: Timestamp($0.createdAt),
                  finished: $0.finishedAt.map(Timestamp.init), bytes: size(of: URL(fileURLWithPath: $0.directory)), directory: $0.directory)
        }
    }

    static func human(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List local runs, newest first, with their size.")

        @OptionGroup var data: DataOption
        @OptionGroup var options: OutputOptions

        func run() async throws {
            var entries: [Entry] = []
            if let store = try data.store() { entries = try await RunsCommand.entries(store) }
            if options.json { CLIOutput.printJSON(entries); return }
            for entry in entries {
                print("\(entry.guid)  \(entry.state.rawValue)  \(entry.family ?? "-")  \(entry.created)  \(RunsCommand.human(entry.bytes))")
            }
            let total = entries.reduce(0) { $0 + $1.bytes }
            print("\(entries.count) run(s), \(RunsCommand.human(total)) in \(data.directory.path)")
        }
    }

    struct Clean: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "clean", abstract: "Remove ended local runs (their directories and records).")

        @Option(help: "Only runs that ended at least this long ago: 90m, 12h, 7d, 2w (default: every ended run).")
        var olderThan: String?
        @Flag(help: "Only say what would be removed.") var dryRun = false
        @OptionGroup var data: DataOption
        @OptionGroup var options: OutputOptions

        struct Report: Encodable {
            var removed: [String]
            var bytes: Int64
            var dryRun: Bool
        }

        func run() async throws {
            let cutoff = try olderThan.map { Date().addingTimeInterval(-(try AgeText.seconds($0, option: "--older-than"))) }
            guard let store = try data.store() else {
                if options.json { CLIOutput.printJSON(Report(removed: [], bytes: 0, dryRun: dryRun)) } else { print("no local runs in \(data.directory.path)") }
                return
            }
            let runsRoot = ServerConfiguration(dataDirectory: data.directory).runsDirectory.standardizedFileURL.path + "/"
            var report = Report(removed: [], bytes: 0, dryRun: dryRun)
            for record in try await store.search(prefix: "", owner: nil, limit: nil) where record.state.isTerminal {
                if let cutoff, (record.finishedAt ?? record.updatedAt) > cutoff { continue }
                let directory = URL(fileURLWithPath: record.directory).standardizedFileURL
                // Only directories inside this data directory's runs/ are ever removed.
                guard directory.path.hasPrefix(runsRoot) else { continue }
                report.bytes += RunsCommand.size(of: directory)
                report.removed.append(record.name)
                guard !dryRun else { continue }
                if FileManager.default.fileExists(atPath: directory.path) {
                    do { try FileManager.default.removeItem(at: directory) } catch {
                        throw GSSAError.server("cannot remove \(directory.path): \(error.localizedDescription)")
                    }
                }
                try await store.removeRun(guid: record.guid)
            }
            if options.json { CLIOutput.printJSON(report); return }
            for guid in report.removed { print((dryRun ? "would remove " : "removed ") + guid) }
            print("\(report.removed.count) run(s), \(RunsCommand.human(report.bytes))" + (dryRun ? " would be freed" : " freed"))
        }
    }
}
