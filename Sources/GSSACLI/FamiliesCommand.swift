import ArgumentParser
import Families
import Foundation
import GSSA

/// `gssa families`: what can run here, and any drop-in folder that failed to load.
struct FamiliesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "families", abstract: "List the known families with their workflow and image.")

    @OptionGroup var options: CommonOptions

    struct Entry: Encodable {
        var name: String
        var workflow: String
        var image: String
        var origin: String
    }

    struct Problem: Encodable {
        var folder: String
        var error: GSSAError
    }

    struct Listing: Encodable {
        var families: [Entry]
        var problems: [Problem]
    }

    func run() async throws {
        let registry = options.registry()
        let entries = registry.families.map {
            Entry(name: $0.name, workflow: $0.workflow.rawValue, image: $0.image, origin: $0.origin)
        }.sorted { $0.name < $1.name }
        let problems = registry.problems.map { Problem(folder: $0.folder, error: $0.error) }
        if options.json {
            CLIOutput.printJSON(Listing(families: entries, problems: problems))
        } else {
            let width = max(6, entries.map(\.name.count).max() ?? 0)
            for entry in entries {
                let name = entry.name.padding(toLength: width, withPad: " ", startingAt: 0)
                let workflow = entry.workflow.padding(toLength: 11, withPad: " ", startingAt: 0)
                print("\(name)  \(workflow)  \(entry.image)  (\(entry.origin))")
            }
            for problem in problems { CLIOutput.standardError("\(problem.folder): \(problem.error.description)") }
        }
        if !problems.isEmpty { throw ExitCode(1) }
    }
}
