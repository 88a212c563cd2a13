import ArgumentParser
import Foundation
import GSSA
import GSSAArchive
import GSSAServer
import LaunchClient
import LaunchProtocol
import Families

/// `gssa inspect BUNDLE [--to DIR] [--run [--daemon-socket SOCKET]]`: unpacks a diagnostic bundle
/// (stripping the `<GUID>/` prefix, as glot's inspect did) and, with `--run`, re-runs its
/// input through the launch daemon (``BundleRerun``) in the run's family image by name.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Unpack a diagnostic bundle and optionally re-run it in its recorded image.")

    @Argument(help: "A diagnostic bundle (.tar.gz) from `gssa diagnostic`.") var bundle: String
    @Option(help: "Where to unpack (default: a new directory next to the bundle).") var to: String?
    @Flag(help: "Re-run the bundle's input in its recorded image.") var run = false
    @OptionGroup var daemonSocket: DaemonSocketOptions
    @Option(help: "Image (name or tag) to use instead of the run's family image.") var image: String?
    @Option(help: "Data directory where --run stages the input (default: gssa run's, $XDG_DATA_HOME/gssa or ~/.local/share/gssa).")
    var data: String?
    @OptionGroup var options: CommonOptions

    struct Report: Encodable {
        var directory: String
        var guid: String
        var imageID: String?
        var outcome: GSSAError?
        var rerun: GSSAError?
    }

    func run() async throws {
        let source = URL(fileURLWithPath: bundle)
        guard FileManager.default.fileExists(atPath: source.path) else { throw GSSAError.client("bundle not found: \(bundle)") }
        let target = URL(fileURLWithPath: to ?? source.deletingPathExtension().deletingPathExtension().path + "-inspect")
        let scratch = target.appendingPathComponent(".unpack")
        try TarGzReader.extract(source, into: scratch)
        let fm = FileManager.default
        let tops = try fm.contentsOfDirectory(atPath: scratch.path).filter { !$0.hasPrefix(".") }
        guard tops.count == 1, let guid = tops.first else {
            throw GSSAError.client("\(bundle) is not a gssa bundle: expected one <GUID>/ directory at the top")
        }
        for entry in try fm.contentsOfDirectory(atPath: scratch.appendingPathComponent(guid).path) {
            let destination = target.appendingPathComponent(entry)
            if fm.fileExists(atPath: destination.path) { try fm.removeItem(at: destination) }
            try fm.moveItem(at: scratch.appendingPathComponent(guid).appendingPathComponent(entry), to: destination)
        }
        try fm.removeItem(at: scratch)
        let imageID = fm.contents(atPath: target.appendingPathComponent("input/glossia-simimage.txt").path)
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        let status = fm.contents(atPath: target.appendingPathComponent("status.json").path)
            .flatMap { try? JSONDecoder().decode(SimulationSummary.self, from: $0) }
        var report = Report(directory: target.path, guid: guid, imageID: imageID, outcome: status?.exitStatus)

        if run {
            let socket = daemonSocket.path()
            // By name, as the daemon's allowed_images lists images: the family's image, else the recorded ID.
            let registry = options.registry()
            let family = status?.family.flatMap { try? registry.family(named: $0) }
            guard let chosen = image ?? family?.image ?? imageID, !chosen.isEmpty else {
                throw GSSAError.client("the bundle records neither a family nor an image ID; pass --image NAME")
            }
            report.rerun = try await BundleRerun(
                directory: target, guid: guid, image: chosen, recordedImageID: imageID, interpreter: family?.interpreter,
                socket: socket, data: URL(fileURLWithPath: data ?? RunCommand.defaultDataDirectory()),
                images: registry.families.map(\.image)
            ).run()
        }
        if options.json {
            CLIOutput.printJSON(report)
            return
        }
        print("unpacked \(guid) into \(target.path)")
        print("  image:   \(imageID ?? "(not recorded)")")
        if let outcome = report.outcome { print("  outcome: \(outcome.code.name): \(outcome.message)") }
        if let rerun = report.rerun { print("  re-run:  \(rerun.code.name): \(rerun.message) (output in \(target.appendingPathComponent("output").path))") }
    }
}
