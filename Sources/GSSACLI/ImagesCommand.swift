import ArgumentParser
import Foundation
import GSSA

/// `gssa images build base|python|fenics|all`: builds the solver images offline.
///
/// The staged setup (seed 001): `base` is `debootstrap --variant=minbase bookworm` imported as
/// `gssa/debian:bookworm`; every other image is a Dockerfile FROM it, tagged both with its
/// friendly tag and with a content hash of its recipe, so an unchanged recipe is never rebuilt
/// and a changed one always is. Every image but `base` then gets the in-container runner baked
/// in as a thin layer labelled with its SHA-256 (rebuilt only when the runner changes), so the
/// launch daemon need not copy it into each container. The shell steps live in `images/build.sh` (so CI and
/// researchers without a Swift toolchain run exactly the same thing); this command drives
/// them, shows their progress on stderr and records the resulting image IDs.
public struct ImagesCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Build gssa's solver images and bring them to the nodes of a swarm.",
        subcommands: [Build.self, Push.self, Distribute.self]
    )

    public init() {}

    public struct Build: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Build base (debootstrap + import), python, fenics, family or all images.",
            discussion: """
                Progress goes to stderr; the built images (tag, content-hash tag, image ID) to stdout and to $GSSA_STATE_DIR/images.json. \
                Every image but base carries the runner ($GSSA_RUNNER_BIN, else $GSSA_RUNNER, else scripts/build-runner) \
                in a thin layer tagged <name>:<recipe hash>-r<runner hash>; GSSA_NO_BAKE=1 leaves it out.
                """
        )

        @Argument(help: "What to build: base, python, fenics, families, all, or a family name (families/NAME/Dockerfile).")
        var target: ImageTarget

        @Flag(help: "Rebuild the base image even when it exists.")
        var force = false

        @Option(help: "The gssa source tree holding images/build.sh (default: found from the current directory).")
        var repository: String?

        @Flag(help: "Print JSON.")
        var json = false

        public init() {}

        public func run() throws {
            let builder = try ImageBuilder(repository: repository.map { URL(fileURLWithPath: $0) } ?? ImageBuilder.findRepository())
            let records = try builder.build(target, force: force)
            try ImageLedger.standard().record(records)
            if json {
                CLIOutput.printJSON(records)
            } else {
                for record in records {
                    print("\(record.name): \(record.tag) = \(record.hashTag) \(record.imageID.prefix(19)) (\(record.state), \(record.seconds)s)")
                }
            }
        }
    }
}

/// What `gssa images build` can build: `base`, `python`, `fenics`, `families` (every
/// `families/NAME/Dockerfile`), `all`, or one family by name.
public enum ImageTarget: Sendable, Equatable, ExpressibleByArgument {
    case base, python, fenics, families, all
    case family(String)

    public init?(argument: String) {
        switch argument {
        case "base": self = .base
        case "python": self = .python
        case "fenics": self = .fenics
        case "families": self = .families
        case "all": self = .all
        default:
            // A family directory name: no paths, no options.
            let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
            guard !argument.isEmpty, !argument.hasPrefix("-"), !argument.hasPrefix("."),
                argument.allSatisfy(allowed.contains)
            else { return nil }
            self = .family(argument)
        }
    }

    /// The argument images/build.sh takes.
    public var argument: String {
        switch self {
        case .base: "base"
        case .python: "python"
        case .fenics: "fenics"
        case .families: "families"
        case .all: "all"
        case .family(let name): name
        }
    }
}

/// One image produced (or found cached) by a build.
public struct ImageBuildRecord: Codable, Sendable, Equatable {
    public var name: String
    /// The friendly tag, e.g. `gssa/python:bookworm`.
    public var tag: String
    /// The content-hash tag, e.g. `gssa/python:3d5f33323b6a`.
    public var hashTag: String
    /// `sha256:…` image ID.
    public var imageID: String
    /// `built` or `cached`.
    public var state: String
    public var seconds: Int

    /// Parses `IMAGE <name> <tag> <hash tag> <image id> <built|cached> <seconds>`.
    public init?(line: Substring) {
        let fields = line.split(separator: " ")
        guard fields.count == 7, fields[0] == "IMAGE", fields[4].hasPrefix("sha256:"), let seconds = Int(fields[6]) else { return nil }
        name = String(fields[1])
        tag = String(fields[2])
        hashTag = String(fields[3])
        imageID = String(fields[4])
        state = String(fields[5])
        self.seconds = seconds
    }
}

/// Runs `images/build.sh` of a gssa source tree.
public struct ImageBuilder: Sendable {
    public var repository: URL

    public init(repository: URL) throws(GSSAError) {
        guard FileManager.default.isExecutableFile(atPath: repository.appendingPathComponent("images/build.sh").path) else {
            throw .client("\(repository.path) is not a gssa source tree: images/build.sh is missing")
        }
        self.repository = repository
    }

    /// `$GSSA_REPO`, else the first directory upwards from the current one holding images/build.sh.
    public static func findRepository() throws(GSSAError) -> URL {
        if let explicit = ProcessInfo.processInfo.environment["GSSA_REPO"] { return URL(fileURLWithPath: explicit) }
        var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        while true {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("images/build.sh").path) { return directory }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        throw .client("cannot find images/build.sh above \(FileManager.default.currentDirectoryPath); pass --repository or set GSSA_REPO")
    }

    /// Builds `target`, streaming the build's progress to our stderr, and returns what it made.
    public func build(_ target: ImageTarget, force: Bool = false) throws(GSSAError) -> [ImageBuildRecord] {
        let process = Process()
        process.executableURL = repository.appendingPathComponent("images/build.sh")
        process.arguments = [target.argument] + (force && target == .base ? ["--force"] : [])
        process.currentDirectoryURL = repository
        let output = Pipe()
        process.standardOutput = output
        // stderr is inherited: docker's step-by-step progress shows live.
        do { try process.run() } catch {
            throw .server("cannot run \(process.executableURL!.path): \(error.localizedDescription)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let records = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap(ImageBuildRecord.init(line:))
        if process.terminationStatus == 2 {
            throw .client("images/build.sh cannot build '\(target.argument)' (see the message above)")
        }
        guard process.terminationStatus == 0 else {
            throw .server("images/build.sh \(target.argument) failed with exit status \(process.terminationStatus) (see the build output above)")
        }
        guard !records.isEmpty else { throw .server("images/build.sh \(target.argument) reported no image") }
        return records
    }
}

/// The record of built images: `$GSSA_STATE_DIR/images.json` (default `~/.local/state/gssa`),
/// `{name: ImageBuildRecord}`, so later runs can say which image ID they used.
public struct ImageLedger: Sendable {
    public var file: URL

    public init(file: URL) { self.file = file }

    public static func standard() throws(GSSAError) -> ImageLedger {
        let environment = ProcessInfo.processInfo.environment
        let directory = environment["GSSA_STATE_DIR"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/state/gssa")
        return ImageLedger(file: directory.appendingPathComponent("images.json"))
    }

    public func load() -> [String: ImageBuildRecord] {
        guard let data = try? Data(contentsOf: file) else { return [:] }
        return (try? JSONDecoder().decode([String: ImageBuildRecord].self, from: data)) ?? [:]
    }

    public func record(_ records: [ImageBuildRecord]) throws(GSSAError) {
        var all = load()
        for record in records { all[record.name] = record }
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(all).write(to: file, options: .atomic)
        } catch {
            throw .server("cannot record image IDs in \(file.path): \(error.localizedDescription)")
        }
    }
}
