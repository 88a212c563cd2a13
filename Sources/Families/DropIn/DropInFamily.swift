import Foundation
import GSSA
import Yams

/// A family defined by a folder `families/NAME/` holding `family.yml` and a start script.
///
/// Researchers add a family by adding a folder: no Swift, no recompiling. The folder's start
/// script is the model used when a definition carries no script of its own; the manifest's
/// declared parameters become the archive's `parameters.yml`.
public struct DropInFamily: DockerFamily, MesherGSSF {
    /// The manifest's `name`, else the folder's name.
    public let name: String
    /// The folder's `family.yml`, as read.
    public let manifest: FamilyManifest
    /// The family's folder.
    public let folder: URL
    /// The folder's start script (and declared parameters) as an archive; nil when the manifest names no script and there is no `start.py`.
    public let defaultStartArchive: StartArchive?

    /// The manifest's `image`.
    public var image: String { manifest.image }
    /// The manifest's `workflow`.
    public var workflow: Workflow { manifest.workflow }
    /// The manifest's `resources`.
    public var resources: FamilyResources? { manifest.resources }
    /// The manifest's `pool.max_running`.
    public var maximumRunning: Int? { manifest.pool?.maxRunning }
    /// The manifest's `interpreter`, else `python3`.
    public var interpreter: String { manifest.interpreter ?? "python3" }
    /// The folder's path, so `gssa families` shows where the family lives.
    public var origin: String { folder.path }
    /// The job logs plus the manifest's `retrievable` files.
    public var retrievableFiles: [String] { ["logs/job.out", "logs/job.err"] + (manifest.retrievable ?? []) }

    /// Loads `folder/family.yml` and the start script it names.
    public init(folder: URL) throws(GSSAError) {
        let manifest = try FamilyManifest.load(from: folder.appendingPathComponent("family.yml"))
        self.folder = folder
        self.manifest = manifest
        self.name = manifest.name ?? folder.lastPathComponent
        let start = manifest.start ?? "start.py"
        let script = folder.appendingPathComponent(start)
        if let contents = try? Data(contentsOf: script) {
            var files: [(name: String, contents: Data)] = [("start.py", contents)]
            if let declared = manifest.parameters, !declared.isEmpty {
                let node = Node.mapping(.init(declared.keys.sorted().map { (YAMLOutput.string($0), YAMLOutput.string(declared[$0]!)) }))
                files.insert(("parameters.yml", try YAMLOutput.document(node)), at: 0)
            }
            defaultStartArchive = StartArchive(files: files)
        } else if manifest.start != nil {
            throw GSSAError.client("\(folder.path): start script \(start) named in family.yml is missing")
        } else {
            defaultStartArchive = nil
        }
    }

    /// For the `docker+cgal` workflow, `input/settings.xml` (GSSF-XML) for the host mesher; nothing otherwise.
    public func additionalFiles(for definition: SimulationDefinition) throws(GSSAError) -> [FamilyConfiguration.GeneratedFile] {
        guard workflow == .dockerCGAL else { return [] }
        return [.init(path: "input/settings.xml", contents: Data(try gssfXML(for: definition).utf8))]
    }
}
