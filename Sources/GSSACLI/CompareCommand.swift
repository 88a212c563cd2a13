import ArgumentParser
import Foundation
import GSSA

/// `gssa compare A.xml B.xml`: a conceptual diff; exit 1 when they differ.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Show the conceptual differences between two definitions.")

    @Argument(help: "The first (\"this\") definition.") var left: String
    @Argument(help: "The second (\"that\") definition.") var right: String
    @OptionGroup var options: CommonOptions

    struct Report: Encodable {
        var equal: Bool
        var differences: [String]
    }

    func run() async throws {
        let differences = Comparator(try loadDefinition(left), try loadDefinition(right)).differences()
        if options.json {
            CLIOutput.printJSON(Report(equal: differences.isEmpty, differences: differences))
        } else {
            for line in differences { print(line) }
        }
        if !differences.isEmpty { throw ExitCode(1) }
    }
}
