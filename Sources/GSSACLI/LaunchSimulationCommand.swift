import ArgumentParser
import Foundation
import GSSA
import GSSAArchive
import GSSAAPI
import NIOHTTP1

/// `gssa launch DEF.xml [-i INPUT…] [--definition FILE…] [--wait]`: glot's `launch`.
///
/// Inputs go into one tar.gz uploaded with the run (the `tmp` transferrer reads it). Definition
/// files are tarred into `definition.tar.gz` inside it and the XML's `<definition>` is pointed
/// at that archive, as glot did. Then init, upload, finalize and start; `--wait` follows the
/// run's events with a progress bar and exits 0 on `complete`, 1 on `fail`.
struct LaunchSimulationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "launch", abstract: "Send a GSSA-XML definition to the server and start it.")

    @Argument(help: "The GSSA-XML definition.") var definition: String
    @Option(name: [.customShort("i"), .customLong("input")], parsing: .upToNextOption, help: "Input files (surfaces, meshes…).")
    var inputs: [String] = []
    @Option(name: .customLong("definition"), parsing: .upToNextOption, help: "Model files (start.py…) tarred into the definition archive.")
    var definitionFiles: [String] = []
    @Option(help: "GUID to use (default: a new UUID).") var guid: String?
    @Option(help: ArgumentHelp(
        "Sweep a global parameter: NAME=v1,v2,v3 or NAME=start:stop:step (stop included); repeat for a cartesian product.",
        valueName: "NAME=VALUES"))
    var sweep: [String] = []
    @Option(help: ArgumentHelp("Start only once these runs have succeeded (afterok); comma-separated or repeated.", valueName: "GUID[,GUID]"))
    var after: [String] = []
    @Option(help: "The project the run is charged to (default: your first).") var project: String?
    @Option(help: "Priority from 0 to 100 (users up to 50); higher goes first under the fairshare scheduler.") var priority: Int?
    @Flag(help: "Wait for the run to finish, showing its progress.") var wait = false
    @OptionGroup var follow: FollowOptions
    @OptionGroup var client: ClientOptions
    @OptionGroup var options: OutputOptions

    func run() async throws {
        let client = try client.client()
        guard var xml = FileManager.default.contents(atPath: definition) else {
            throw GSSAError.client("definition file not found: \(definition)")
        }
        let parsed = try SimulationDefinition.parse(xml)
        var body = try Self.startOptions(sweep: sweep, after: after, definition: parsed)
        body.project = project
        body.priority = priority
        let start = body
        let guid = (self.guid ?? UUID().uuidString).uppercased()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-launch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        var archive: URL?
        if !inputs.isEmpty || !definitionFiles.isEmpty {
            let url = scratch.appendingPathComponent("input.tar.gz")
            let writer = try TarGzWriter(url: url)
            for input in inputs { try Self.add(input, to: writer) }
            if !definitionFiles.isEmpty {
                let definitionArchive = scratch.appendingPathComponent("definition.tar.gz")
                let inner = try TarGzWriter(url: definitionArchive)
                for file in definitionFiles { try Self.add(file, to: inner) }
                try inner.finish()
                try writer.add("definition.tar.gz", .file(try Data(contentsOf: definitionArchive)))
                xml = try Self.pointDefinition(xml, at: "definition.tar.gz")
            }
            try writer.finish()
            archive = url
        }

        _ = try await client.json(SimulationSummary.self, .POST, ServerClient.runPath(guid, "init"))
        do {
            _ = try await client.json(SimulationSummary.self, .PUT, ServerClient.runPath(guid, "definition"), body: xml, contentType: "application/xml")
            if let archive {
                _ = try await client.json(SimulationSummary.self, .PUT, ServerClient.runPath(guid, "archive"),
                                          body: try Data(contentsOf: archive), contentType: "application/gzip")
            }
            _ = try await client.json(SimulationSummary.self, .POST, ServerClient.runPath(guid, "finalize"), encoding: API.Finalize(directory: "."))
        } catch {
            // Refused before it could run: remove it (a never-finalized run is forgotten), so
            // that no dead run is left on the server; the refusal is what the user sees.
            do {
                _ = try await client.send(.DELETE, ServerClient.runPath(guid))
            } catch let cleanup {
                CLIOutput.standardError("gssa: could not remove the refused run \(guid): \(cleanup)")
            }
            throw error
        }
        guard wait else {
            let run = try await client.json(SimulationSummary.self, .POST, ServerClient.runPath(guid, "start"), encoding: start)
            if options.json { CLIOutput.printJSON(run) } else { print(run.guid) }
            return
        }
        // The GUID first, so that a reader can `gssa wait`/`logs`/`cancel` it while it runs.
        if !options.json { CLIOutput.printLine(guid) }
        let outcome = try await follow.follower(client: client, guid: guid, progress: options.json ? nil : ProgressLine()).run {
            _ = try await client.json(SimulationSummary.self, .POST, ServerClient.runPath(guid, "start"), encoding: start)
        }
        if options.json { CLIOutput.printJSON(try await client.json(SimulationSummary.self, .GET, ServerClient.runPath(guid))) }
        if outcome.code != .success {
            CLIOutput.standardError(outcome.description)
            throw ExitCode(1)
        }
    }

    /// The start body for `--sweep` and `--after`, checked before anything is sent: each swept
    /// name must be a global parameter of the definition, each range non-empty.
    static func startOptions(sweep: [String], after: [String], definition: SimulationDefinition) throws(GSSAError) -> API.Start {
        var values: [String: [String]] = [:]
        var order: [String] = []
        for argument in sweep {
            let (name, list) = try SweepRange.parse(argument)
            guard definition.parameters.contains(name) else {
                throw GSSAError.client(
                    "--sweep \(name): the definition has no global parameter '\(name)'", attribute: "--sweep \(name)")
            }
            guard values[name] == nil else {
                throw GSSAError.client("--sweep \(name) is given twice", attribute: "--sweep \(name)")
            }
            values[name] = list
            order.append(name)
        }
        var guids: [String] = []
        for item in after {
            for part in item.split(separator: ",", omittingEmptySubsequences: false) {
                let guid = part.trimmingCharacters(in: .whitespaces)
                guard !guid.isEmpty else { throw GSSAError.client("--after: empty GUID in '\(item)'", attribute: "--after") }
                guids.append(guid)
            }
        }
        return API.Start(sweep: values.isEmpty ? nil : values, sweepOrder: order.isEmpty ? nil : order,
                         after: guids.isEmpty ? nil : guids)
    }

    /// Adds a file (by base name) or a directory (as a tree) to an archive.
    static func add(_ path: String, to writer: TarGzWriter) throws {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw GSSAError.client("input not found: \(path)")
        }
        if isDirectory.boolValue {
            try writer.addTree(at: url, as: url.lastPathComponent)
        } else {
            try writer.add(url.lastPathComponent, .file(try Data(contentsOf: url)))
        }
    }

    /// Sets `<definition location="…">` and drops its inline text.
    ///
    /// Reads through ``XMLTreeReader`` (the one hardened parser) and writes the tree back, so no
    /// second XML parser sees the file; comments are not kept.
    static func pointDefinition(_ xml: Data, at location: String) throws(GSSAError) -> Data {
        var root = try XMLTreeReader.read(xml)
        guard let model = root.children.firstIndex(where: { $0.name == "numericalModel" }),
            let definition = root.children[model].children.firstIndex(where: { $0.name == "definition" })
        else {
            throw GSSAError.client("the definition has no <numericalModel><definition> element")
        }
        root.children[model].children[definition].children = []
        root.children[model].children[definition].text = ""
        root.children[model].children[definition].attributes.removeAll { $0.name == "location" }
        root.children[model].children[definition].attributes.append((name: "location", value: location))
        return XMLTreeWriter.data(root)
    }
}
