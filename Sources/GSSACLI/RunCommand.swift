import ArgumentParser
import Families
import Foundation
import GSSA
import GSSAArchive
import GSSAServer
import LaunchClient
import Logging

/// `gssa run DEF.xml`: the whole lifecycle in this process, with no services to start first.
///
/// It is the embedded default a researcher reaches for: the same `SimulationManager` the server
/// uses, over SQLite in `~/.local/share/gssa`, launching through the daemon socket if one
/// answers or else through a private daemon it starts and stops itself.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a definition end to end here: configure, mesh, solve in its container, collect.")

    @Argument(help: "The GSSA-XML definition.") var definition: String
    @Option(help: "Where the referenced input files are (default: the definition's folder).") var inputs: String?
    @Option(help: "Copy the run's output here (default: leave it in the data directory).") var out: String?
    @Option(help: "Data directory for SQLite and run directories (default: $XDG_DATA_HOME/gssa or ~/.local/share/gssa).")
    var data: String?
    @OptionGroup var daemonSocket: DaemonSocketOptions
    @Option(help: "Wall-clock limit for the container, in seconds.") var walltime: Double?
    @Option(help: "Threads for host meshing with CGAL volumes (default: all cores; HXT volumes, the default, are always reproducible).") var threads: Int?
    @OptionGroup var options: CommonOptions

    struct Report: Encodable {
        var guid: String
        var family: String
        var state: String
        var status: GSSAError
        var directory: String
        var output: String
        var results: String?
        var summary: String?
        var preview: String?
        var seconds: Double
        /// Seconds per stage: configure, mesh, container, collect (and what is left: overhead).
        var stages: [String: Double]
        /// Warnings about the run (a host mesh under the quality gate, …).
        var warnings: [String]
    }

    func run() async throws {
        let clock = ContinuousClock()
        let began = clock.now
        let parsed = try loadDefinition(definition)
        let registry = options.registry()
        let family = try registry.family(for: parsed)
        let configured = try family.configure(parsed)
        let inputsDirectory = URL(fileURLWithPath: inputs ?? URL(fileURLWithPath: definition).deletingLastPathComponent().path)
        say("configure", "\(family.name) (\(family.workflow.rawValue), image \(family.image))")

        let dataDirectory = URL(fileURLWithPath: data ?? Self.defaultDataDirectory())
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        var logger = Logger(label: "gssa.run")
        logger.logLevel = .warning

        let daemon = try await PrivateDaemon.connectOrStart(
            preferred: daemonSocket.path(),
            dataDirectory: dataDirectory, images: registry.families.map(\.image), say: { say("daemon", $0) })
        defer { daemon.stop() }

        let configuration = ServerConfiguration(dataDirectory: dataDirectory, walltime: walltime)
        let store = try SQLiteSimulationStore(path: configuration.databasePath)
        let manager = try SimulationManager(
            configuration: configuration, store: store, launcher: DaemonLauncher(socket: daemon.socket),
            mesher: CGALHostMesher.make(threads: threads), registry: registry, logger: logger)
        // The manager's tasks run as a child of this command (cancelled and awaited on any exit).
        async let managerTasks: Void = manager.run()
        let user = UserRecord(name: NSUserName().isEmpty ? "local" : NSUserName(), tokenDigest: "", admin: true)
        let guid = UUID().uuidString.uppercased()

        var marks: [String: ContinuousClock.Instant] = [:]
        let (subscription, events) = await manager.hub.subscribe(user: user)
        do {
            _ = try await manager.initialize(guid: guid, user: user)
            guard let xml = FileManager.default.contents(atPath: definition) else {
                throw GSSAError.client("cannot read \(definition)")
            }
            _ = try await manager.uploadDefinition(guid: guid, xml: xml, user: user)
            let archive = try Self.archive(configured.required.map(\.remote), from: inputsDirectory)
            _ = try await manager.uploadInputArchive(guid: guid, archive: archive, user: user)
            let record = try await manager.finalize(guid: guid, remoteDirectory: nil, user: user)
            marks["configured"] = clock.now
            say("configure", "run \(guid) in \(record.directory)")
            _ = try await manager.start(guid: guid, user: user)
        } catch let failure as APIFailure {
            await manager.hub.unsubscribe(subscription)
            throw failure.error
        } catch {
            await manager.hub.unsubscribe(subscription)
            throw error
        }

        var last: ServerEvent?
        for await event in events where event.guid == guid {
            switch event.type {
            case .status:
                let message = event.status?.message ?? ""
                if message.hasPrefix("Meshing on the host") { marks["mesh"] = marks["mesh"] ?? clock.now }
                if message.hasPrefix("Meshing done") { marks["meshed"] = clock.now }
                if event.state == .running { marks["running"] = marks["running"] ?? clock.now }
                let percentage = event.percentage.map { String(format: "%5.1f%%", $0) } ?? "      "
                say(event.state?.rawValue ?? "status", "\(percentage) \(event.status?.message ?? "")")
            case .complete, .fail:
                last = event
                marks["finished"] = clock.now
            default:
                break
            }
            if last != nil { break }
        }
        await manager.hub.unsubscribe(subscription)
        // The manager's tasks are keyed by the run's internal key, not the client's GUID.
        await manager.waitForTask(guid: try await manager.resolve(guid, user: user).guid)
        // Lets the manager's own tasks (the last status write) finish before the report.
        await manager.shutdown()
        await managerTasks
        let record = try await manager.resolve(guid, user: user)
        let status = last?.status ?? GSSAError(.unknown, record.message ?? "the run ended without a final status")

        say("collect", "collecting output")
        let runDirectory = URL(fileURLWithPath: record.directory)
        var output = runDirectory.appendingPathComponent("output")
        if let out {
            let target = URL(fileURLWithPath: out)
            try? FileManager.default.removeItem(at: target)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: output, to: target)
            output = target
        }
        let results: URL?
        do {
            results = try await manager.bundle(status.code == .success ? .results : .diagnostic, guid: guid, user: user)
        } catch {
            // The run's output is still reported; only the bundle is missing, and the user is told why.
            say("collect", "cannot make the \(status.code == .success ? "results" : "diagnostic") bundle: \(error)")
            results = nil
        }
        let total = (clock.now - began) / .seconds(1)
        func span(_ from: String?, _ to: String) -> Double? {
            guard let end = marks[to] else { return nil }
            let start = from.flatMap { marks[$0] } ?? began
            return (end - start) / .seconds(1)
        }
        var stages: [String: Double] = [:]
        stages["configure"] = span(nil, "configured")
        stages["mesh"] = span("mesh", "meshed")
        stages["container"] = span("running", "finished")
        stages["collect"] = marks["finished"].map { (clock.now - $0) / .seconds(1) }
        stages["overhead"] = total - (stages["mesh"] ?? 0) - (stages["container"] ?? 0)
        let report = Report(
            guid: guid, family: family.name, state: record.state.rawValue, status: status, directory: record.directory,
            output: output.path, results: results?.path, summary: Self.find("summary.json", in: output),
            preview: Self.find(".png", in: output), seconds: total, stages: stages, warnings: record.warnings ?? [])
        if options.json {
            CLIOutput.printJSON(report)
        } else {
            print("")
            print("\(status.code.name): \(status.message)")
            print("  output:   \(report.output)")
            if let summary = report.summary { print("  summary:  \(summary)") }
            if let preview = report.preview { print("  preview:  \(preview)") }
            if let results = report.results { print("  \(status.code == .success ? "results" : "diagnostic"): \(results)") }
            let order = ["configure", "mesh", "container", "collect", "overhead"]
            let parts = order.compactMap { name in stages[name].map { "\(name) " + String(format: "%.1f s", $0) } }
            print(String(format: "  %.1f s in all: ", report.seconds) + parts.joined(separator: ", "))
            for warning in report.warnings { print("  warning:  \(warning)") }
        }
        if status.code != .success { throw ExitCode(Int32(status.code.rawValue)) }
    }

    private func say(_ stage: String, _ message: String) {
        guard !options.json else { return }
        // Unbuffered, so progress shows as it happens even when piped.
        FileHandle.standardOutput.write(Data("[\(stage)] \(message)\n".utf8))
    }

    static func defaultDataDirectory() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/gssa" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share/gssa"
    }

    /// The inputs the family asked for, as a tar.gz like `gssa launch` sends (the `tmp`
    /// transferrer reads it). Only those files travel; a missing one is named at once.
    static func archive(_ names: [String], from directory: URL) throws -> Data {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-run-\(UUID().uuidString).tar.gz")
        defer { try? FileManager.default.removeItem(at: url) }
        let writer = try TarGzWriter(url: url)
        for name in Set(names).sorted() {
            guard SafePath.isSafeRelative(name) else { throw GSSAError.client("input name must be relative without '..': \(name)") }
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else {
                throw GSSAError.client("input file \(name) not found in \(directory.path)")
            }
            try writer.add(name, .file(data))
        }
        try writer.finish()
        return try Data(contentsOf: url)
    }

    /// The first file under `directory` whose name ends with `suffix`, shortest path first.
    static func find(_ suffix: String, in directory: URL) -> String? {
        let paths = (try? FileManager.default.subpathsOfDirectory(atPath: directory.path)) ?? []
        return paths.filter { $0.hasSuffix(suffix) }.sorted { ($0.count, $0) < ($1.count, $1) }.first
            .map { directory.appendingPathComponent($0).path }
    }
}
