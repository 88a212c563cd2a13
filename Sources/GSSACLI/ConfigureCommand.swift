import ArgumentParser
import Families
import Foundation
import GSSA

/// `gssa configure DEF.xml --out DIR`: write exactly what the family hands its container.
struct ConfigureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "configure",
        abstract: "Write the family's solver input directory (input/…, settings.xml for mesher families).")

    @Argument(help: "The GSSA-XML definition.") var definition: String
    @Option(help: "Directory to write into (created if needed).") var out: String
    @Option(help: "Where referenced input files are (default: the definition's folder).") var inputs: String?
    @OptionGroup var options: CommonOptions

    struct Report: Encodable {
        var family: String
        var image: String
        var workflow: String
        var directory: String
        var written: [String]
        var inputs: [String: String]
    }

    func run() async throws {
        let parsed = try loadDefinition(definition)
        let family = try options.registry().family(for: parsed)
        let configuration = try family.configure(parsed)
        let source = URL(fileURLWithPath: inputs ?? URL(fileURLWithPath: definition).deletingLastPathComponent().path)
        let target = URL(fileURLWithPath: out)
        let written = try configuration.write(to: target, inputs: source)
        let report = Report(
            family: family.name, image: family.image, workflow: family.workflow.rawValue, directory: target.path,
            written: written, inputs: Dictionary(configuration.required.map { ($0.local, $0.remote) }, uniquingKeysWith: { a, _ in a }))
        if options.json {
            CLIOutput.printJSON(report)
            return
        }
        print("family \(report.family) (\(report.workflow), image \(report.image)) -> \(report.directory)")
        for path in written { print("  wrote \(path)") }
    }
}
