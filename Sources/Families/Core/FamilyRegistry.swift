import Foundation
import GSSA

/// Finds families by name: built-in Swift families first, then drop-in folders.
///
/// Drop-in folders are scanned at start-up from the search path, so a new family needs no
/// rebuild. A broken folder does not hide the others; its problem is kept and reported.
public struct FamilyRegistry: Sendable {
    /// Every registered family, in registration order (``family(named:line:)`` finds one by name).
    public private(set) var families: [any Family]
    /// Folders that looked like families but could not be loaded.
    public private(set) var problems: [(folder: String, error: GSSAError)]
    /// The folders searched for drop-in families, in order (named when a family is missing).
    public private(set) var searchPath: [URL]

    /// Creates a registry of exactly these families (a later one of the same name replaces an earlier one); no folders are scanned.
    public init(families: [any Family] = []) {
        self.families = []
        self.problems = []
        self.searchPath = []
        for family in families { register(family) }
    }

    /// Adds or replaces a family by name.
    public mutating func register(_ family: any Family) {
        families.removeAll { $0.name == family.name }
        families.append(family)
    }

    /// The families compiled into gssa: FEniCS and Elmer/libnuma, with their default images.
    public static var builtins: [any Family] { [FenicsFamily(), ElmerLibNumaFamily()] }

    /// Built-ins plus every `*/family.yml` under the search path.
    public static func standard(searchPath: [URL] = defaultSearchPath()) -> FamilyRegistry {
        var registry = FamilyRegistry(families: builtins)
        registry.searchPath = searchPath
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

    /// Where drop-in families are looked for, first match wins (like `PATH`):
    ///
    /// 1. `$GSSA_FAMILIES_PATH` (colon-separated);
    /// 2. the user's data directory, `$XDG_DATA_HOME/gssa/families` (`~/.local/share/gssa/families`);
    /// 3. the system's, `gssa/families` under each of `$XDG_DATA_DIRS` (`/usr/local/share`, `/usr/share`);
    /// 4. beside the executable's installation, `<prefix>/share/gssa/families` for `<prefix>/bin/gssa`,
    ///    or the `families/` folder of the source checkout a development build lives in;
    /// 5. `./families`.
    ///
    /// Command-line `--families` folders go before all of these. Folders that do not exist are skipped.
    public static func defaultSearchPath(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executable: URL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
        currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    ) -> [URL] {
        var path: [URL] = []
        if let list = environment["GSSA_FAMILIES_PATH"], !list.isEmpty {
            path += list.split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) }
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty {
            path.append(URL(fileURLWithPath: data).appendingPathComponent("gssa/families"))
        } else if let home {
            path.append(home.appendingPathComponent(".local/share/gssa/families"))
        }
        let systemDirectories = (environment["XDG_DATA_DIRS"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/local/share:/usr/share")
            .split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        path += systemDirectories.map { $0.appendingPathComponent("gssa/families") }
        let prefix = executable.deletingLastPathComponent().deletingLastPathComponent()
        path.append(prefix.appendingPathComponent("share/gssa/families"))
        if let checkout = sourceCheckout(containing: executable) {
            path.append(checkout.appendingPathComponent("families"))
        }
        path.append(currentDirectory.appendingPathComponent("families"))
        var seen = Set<String>()
        return path.filter { seen.insert($0.standardizedFileURL.path).inserted }
    }

    /// The source checkout a development build (`<checkout>/.build/…/gssa`) lives in.
    static func sourceCheckout(containing executable: URL) -> URL? {
        var directory = executable.deletingLastPathComponent()
        while directory.path != "/" {
            if directory.lastPathComponent.hasPrefix(".build") {
                let checkout = directory.deletingLastPathComponent()
                let manifest = checkout.appendingPathComponent("Package.swift").path
                return FileManager.default.fileExists(atPath: manifest) ? checkout : nil
            }
            directory.deleteLastPathComponent()
        }
        return nil
    }

    /// Every registered family's name, in registration order.
    public var names: [String] { families.map(\.name) }

    /// The family by name; an unknown name lists the known ones.
    public func family(named name: String, line: Int? = nil) throws(GSSAError) -> any Family {
        if let family = families.first(where: { $0.name == name }) { return family }
        var reason = "unknown family '\(name)' (known: \(names.sorted().joined(separator: ", ")))"
        if let problem = problems.first(where: { URL(fileURLWithPath: $0.folder).lastPathComponent == name }) {
            reason += "; the folder \(problem.folder) failed to load: \(problem.error.message)"
        } else {
            let searched = searchPath.map(\.path).joined(separator: ":")
            reason += "; no \(name)/family.yml in the search path \(searched.isEmpty ? "(empty)" : searched)"
                + " (add a folder with --families DIR or GSSA_FAMILIES_PATH)"
        }
        throw GSSAError.client(reason, line: line, element: "<definition family=\"\(name)\">", attribute: "family")
    }

    /// The family a definition asks for.
    public func family(for definition: SimulationDefinition) throws(GSSAError) -> any Family {
        try family(named: definition.family, line: definition.definition.line)
    }
}
