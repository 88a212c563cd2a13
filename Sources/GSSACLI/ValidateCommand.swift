import ArgumentParser
import Families
import Foundation
import GSSA

/// `gssa validate DEF.xml [--inputs DIR]`: parse, pick the family, let it configure (in memory),
/// then look for what `gssa run` would fail on later (``DefinitionCheck``), reporting every problem.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check a GSSA-XML definition and summarise it.",
        discussion: """
            Checks the XML, the family, typed parameter values and the parameters the model declares;
            with --inputs, also that every input file the family needs is there. Every problem is
            listed (exit status 2 when there is one).
            """)

    @Argument(help: "The GSSA-XML definition.") var definition: String
    @Option(help: "Check that the input files the definition names are in this folder.") var inputs: String?
    @OptionGroup var options: CommonOptions

    struct Summary: Encodable {
        var valid = true
        var problems: [GSSAError] = []
        var family: String
        var workflow: String
        var image: String
        var transferrer: String?
        var needles: Int
        var regions: Int
        var parameters: Int
        var algorithms: Int
        var model: String
        var inputs: [String: String]
    }

    func run() async throws {
        let parsed = try loadDefinition(definition)
        let family = try options.registry().family(for: parsed)
        let configuration = try family.configure(parsed)
        let model: String
        switch parsed.definition.source {
        case .location(let location): model = "archive \(location)"
        case .inline(let text) where text.isEmpty: model = "family default start script"
        case .inline(let text):
            let start = StartArchive(inline: text)
            model = "inline, \(text.split(separator: "\n", omittingEmptySubsequences: false).count) lines"
                + (start.declaredParameters != nil ? ", with declared parameters" : "")
        }
        let problems = DefinitionCheck(definition: parsed, configuration: configuration)
            .problems(inputs: inputs.map { URL(fileURLWithPath: $0) })
        let summary = Summary(
            valid: problems.isEmpty, problems: problems, family: family.name, workflow: family.workflow.rawValue, image: family.image,
            transferrer: parsed.transferrer?.kind, needles: parsed.needles.count, regions: parsed.regions.count,
            parameters: parsed.parameters.count, algorithms: parsed.algorithms.count, model: model,
            inputs: Dictionary(configuration.required.map { ($0.local, $0.remote) }, uniquingKeysWith: { a, _ in a }))
        if options.json {
            CLIOutput.printJSON(summary)
            if !problems.isEmpty { throw ExitCode(2) }
            return
        }
        guard problems.isEmpty else {
            for problem in problems { CLIOutput.standardError(problem.description) }
            CLIOutput.standardError("\(definition): \(problems.count) problem\(problems.count == 1 ? "" : "s")")
            throw ExitCode(2)
        }
        print("\(definition): valid")
        print("  family:      \(summary.family) (\(summary.workflow), image \(summary.image))")
        print("  transferrer: \(summary.transferrer ?? "(none)")")
        print("  needles:     \(summary.needles)")
        print("  regions:     \(summary.regions)")
        print("  parameters:  \(summary.parameters)")
        print("  algorithms:  \(summary.algorithms)")
        print("  model:       \(summary.model)")
        print("  inputs:      \(inputs.map { "\(summary.inputs.count) found in \($0)" } ?? "\(summary.inputs.count) named, not checked (use --inputs DIR)")")
    }
}
