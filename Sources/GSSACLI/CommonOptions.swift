import ArgumentParser
import Families
import Foundation
import GSSA

/// Options every command shares.
struct CommonOptions: ParsableArguments {
    @Flag(help: "Print machine-readable JSON on stdout.")
    var json = false

    @Option(name: .customLong("families"), help: "Extra folder to search for drop-in families (repeatable; default $GSSA_FAMILIES_PATH or ./families).")
    var familyFolders: [String] = []

    /// The registry: built-ins, then `--families` folders, then the default search path.
    func registry() -> FamilyRegistry {
        FamilyRegistry.standard(searchPath: familyFolders.map { URL(fileURLWithPath: $0) } + FamilyRegistry.defaultSearchPath())
    }
}

/// Loads a definition file given on the command line.
func loadDefinition(_ path: String) throws(GSSAError) -> SimulationDefinition {
    let url = URL(fileURLWithPath: path)
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw GSSAError.client("definition file not found: \(path)")
    }
    return try SimulationDefinition.parse(contentsOf: url)
}
