import Foundation
import GSSA

/// Finds families by name: built-in Swift families first, then drop-in folders.
///
/// Drop-in folders are scanned at start-up from the search path, so a new family needs no
/// rebuild. A broken folder does not hide the others; its problem is kept and reported.
public struct FamilyRegistry: Sendable {
    public private(set) var families: [any Family]
    /// Folders that looked like families but could not be loaded.
    public private(set) var problems: [(folder: String, error: GSSAError)]

    public init(families: [any Family] = []) {
        self.families = []
        self.problems = []
        for family in families { register(family) }
    }

    /// Adds or replaces a family by name.
    public mutating func register(_ family: any Family) {
        families.removeAll { $0.name == family.name }
        families.append(family)
    }

    public static var builtins: [any Family] { [FenicsFamily(), ElmerLibNumaFamily()] }

    /// Built-ins plus every `*/family.yml` under the search path.
    public static func standard(searchPath: [URL] = defaultSearchPath()) -> FamilyRegistry {
        var registry = FamilyRegistry(families: builtins)
        let builtinNames = Set(registry.names)
        let fm = FileManager.default
        for directory in searchPath {
            guard let entries = try? fm.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil) else { continue }
            for folder in entries.sorted(by: { $0.lastPathComponent < $1.lastPathComponent })
            where fm.fileExists(atPath: folder.appendingPathComponent("family.yml").path) {
                // A built-in's folder (e.g. families/fenics) holds its image recipe; its manifest
                // may name the image, but the family's behaviour stays the Swift one.
                if builtinNames.contains(folder.lastPathComponent) {
                    do {
                        try registry.applyManifest(in: folder, toBuiltin: folder.lastPathComponent)
                    } catch {
                        registry.problems.append((folder.path, error))
                    }
                    continue
                }
                do {
                    let family = try DropInFamily(folder: folder)
                    // Like PATH: the first folder providing a name wins; built-ins always win.
                    if builtinNames.contains(family.name) {
                        registry.problems.append((folder.path, GSSAError.client("family name \(family.name) is taken by a built-in family")))
                    } else if !registry.names.contains(family.name) {
                        registry.register(family)
                    }
                } catch {
                    registry.problems.append((folder.path, error))
                }
            }
        }
        return registry
    }

    /// Rebuilds a built-in family with the image its folder's `family.yml` names.
    mutating func applyManifest(in folder: URL, toBuiltin name: String) throws(GSSAError) {
        let manifest = try FamilyManifest.load(from: folder.appendingPathComponent("family.yml"))
        let builtin = try family(named: name)
        guard manifest.workflow == builtin.workflow else {
            throw GSSAError.client(
                "\(folder.path)/family.yml: workflow \(manifest.workflow.rawValue) does not match the built-in \(name) (\(builtin.workflow.rawValue))")
        }
        switch builtin {
        case is FenicsFamily: register(FenicsFamily(image: manifest.image))
        case is ElmerLibNumaFamily: register(ElmerLibNumaFamily(image: manifest.image))
        default: break
        }
    }

    /// `$GSSA_FAMILIES_PATH` (colon-separated), else `./families` when present.
    public static func defaultSearchPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> [URL] {
        if let path = environment["GSSA_FAMILIES_PATH"], !path.isEmpty {
            return path.split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        }
        return [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("families")]
    }

    public var names: [String] { families.map(\.name) }

    /// The family by name; an unknown name lists the known ones.
    public func family(named name: String, line: Int? = nil) throws(GSSAError) -> any Family {
        if let family = families.first(where: { $0.name == name }) { return family }
        var reason = "unknown family '\(name)' (known: \(names.sorted().joined(separator: ", ")))"
        if let problem = problems.first(where: { URL(fileURLWithPath: $0.folder).lastPathComponent == name }) {
            reason += "; the folder \(problem.folder) failed to load: \(problem.error.message)"
        }
        throw GSSAError.client(reason, line: line, element: "<definition family=\"\(name)\">", attribute: "family")
    }

    /// The family a definition asks for.
    public func family(for definition: SimulationDefinition) throws(GSSAError) -> any Family {
        try family(named: definition.family, line: definition.definition.line)
    }
}
