import ArgumentParser
import Foundation
import GSSA
import GSSAArchive
import GSSAAPI
import NIOFoundationEssentialsCompat
import NIOHTTP1

/// Downloads a results or diagnostic bundle into a directory, optionally extracted.
struct BundleDownload {
    static func fetch(_ kind: API.Bundle, guid: String, to directory: String, extract: Bool,
                      client: ServerClient) async throws -> (archive: URL, extracted: URL?) {
        // Resolve a prefix first, so the file is named after the full GUID.
        let guid = try await client.json(SimulationSummary.self, .GET, ServerClient.runPath(guid)).guid
        let bytes = try await client.send(.GET, ServerClient.runPath(guid, kind.rawValue))
        let target = URL(fileURLWithPath: directory)
        do {
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        } catch {
            throw GSSAError.client("cannot create \(directory): \(error.localizedDescription)")
        }
        let name = "\(guid)-\(kind.rawValue).tar.gz"
        let archive = target.appendingPathComponent(name)
        do { try Data(buffer: bytes).write(to: archive) } catch {
            throw GSSAError.client("cannot write \(archive.path): \(error.localizedDescription)")
        }
        guard extract else { return (archive, nil) }
        try TarGzReader.extract(archive, into: target)
        return (archive, target)
    }
}

/// `gssa results GUID --to DIR`: the results bundle (output, original.xml, image ID).
struct ResultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "results", abstract: "Download a simulation's results bundle.")

    @Argument(help: "GUID or unique GUID prefix.") var guid: String
    @Option(help: "Directory to write the bundle into.") var to = "."
    @Flag(help: "Also extract the bundle there.") var extract = false
    @OptionGroup var client: ClientOptions
    @OptionGroup var options: OutputOptions

    func run() async throws {
        let (archive, extracted) = try await BundleDownload.fetch(.results, guid: guid, to: to, extract: extract, client: client.client())
        if options.json { CLIOutput.printJSON(["archive": archive.path, "extracted": extracted?.path ?? ""]) } else { print(archive.path) }
    }
}

/// `gssa diagnostic GUID --to DIR`: the diagnostic bundle (input, logs, image ID, status).
struct DiagnosticCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diagnostic", abstract: "Download a simulation's diagnostic bundle.")

    @Argument(help: "GUID or unique GUID prefix.") var guid: String
    @Option(help: "Directory to write the bundle into.") var to = "."
    @Flag(help: "Also extract the bundle there.") var extract = false
    @OptionGroup var client: ClientOptions
    @OptionGroup var options: OutputOptions

    func run() async throws {
        let (archive, extracted) = try await BundleDownload.fetch(.diagnostic, guid: guid, to: to, extract: extract, client: client.client())
        if options.json { CLIOutput.printJSON(["archive": archive.path, "extracted": extracted?.path ?? ""]) } else { print(archive.path) }
    }
}
