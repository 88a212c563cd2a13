import Foundation
import GSSA
import Yams

/// `family.yml`: what a drop-in family folder declares.
///
/// ```yaml
/// image: gssa/python:bookworm
/// workflow: docker-only          # or docker+cgal
/// start: start.py                # the model run when a definition brings none
/// interpreter: python3
/// retrievable: [run/summary.json]
/// parameters:                    # declared parameters: NAME -> type
///   CONSTANT_X: float
/// resources: {cores: 2, memory: 4g, walltime: 3600}   # what a run asks for by default
/// pool: {max_running: 4}          # at most 4 runs of this family at once
/// ```
public struct FamilyManifest: Sendable, Hashable, Decodable {
    /// The family's name (`name`); the folder's name when absent.
    public var name: String?
    /// Free text for people reading the folder (`description`); gssa does not use it.
    public var description: String?
    /// The solver image (`image`); it must also be on the launch daemon's whitelist.
    public var image: String
    /// `docker-only` or `docker+cgal` (`workflow`).
    public var workflow: Workflow
    /// The start script in the folder (`start`), run when a definition brings none; `start.py` when absent.
    public var start: String?
    /// How the runner starts the script (`interpreter`); `python3` when absent.
    public var interpreter: String?
    /// Output files, relative to the run directory, added to the results bundle besides the job logs (`retrievable`).
    public var retrievable: [String]?
    /// Declared parameters, name to type (`parameters`); written as the start archive's `parameters.yml`.
    public var parameters: [String: String]?
    /// What a run asks for by default (`resources`); the server's defaults when absent.
    public var resources: FamilyResources?
    /// At most this many runs of the family at once (`pool`); unbounded when absent.
    public var pool: FamilyPool?

    /// Reads and checks a manifest; errors name the file and field.
    public static func load(from url: URL) throws(GSSAError) -> FamilyManifest {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw GSSAError.client("cannot read \(url.path): \(error.localizedDescription)")
        }
        let manifest: FamilyManifest
        do {
            manifest = try YAMLDecoder().decode(FamilyManifest.self, from: text)
        } catch let DecodingError.keyNotFound(key, _) {
            throw GSSAError.client("\(url.path): \(key.stringValue) is required")
        } catch let DecodingError.dataCorrupted(context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw GSSAError.client("\(url.path): \(field.isEmpty ? "" : field + ": ")\(context.debugDescription)")
        } catch let DecodingError.typeMismatch(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw GSSAError.client("\(url.path): \(field) has the wrong type (\(context.debugDescription))")
        } catch {
            throw GSSAError.client("\(url.path): \(error)")
        }
        if let start = manifest.start, !SafePath.isSafeComponent(start) {
            throw GSSAError.client("\(url.path): start must be a file in the family folder, not \(start)")
        }
        guard !manifest.image.isEmpty else { throw GSSAError.client("\(url.path): image must not be empty") }
        if let problem = manifest.resources?.problem { throw GSSAError.client("\(url.path): \(problem)") }
        if let pool = manifest.pool, pool.maxRunning < 1 {
            throw GSSAError.client("\(url.path): pool.max_running must be at least 1, not \(pool.maxRunning)")
        }
        return manifest
    }
}
