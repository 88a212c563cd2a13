import Foundation
import GSSA
import Yams

/// A family defined by a folder `families/NAME/` holding `family.yml` and a start script.
///
/// Researchers add a family by adding a folder: no Swift, no recompiling. The folder's start
/// script is the model used when a definition carries no script of its own; the manifest's
/// declared parameters become the archive's `parameters.yml`.
public struct DropInFamily: DockerFamily, MesherGSSF {
    public let name: String
    public let manifest: FamilyManifest
    public let folder: URL
    public let defaultStartArchive: StartArchive?

    public var image: String { manifest.image }
    public var workflow: Workflow { manifest.workflow }
    public var interpreter: String { manifest.interpreter ?? "python3" }
    public var origin: String { folder.path }
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

    public func additionalFiles(for definition: SimulationDefinition) throws(GSSAError) -> [FamilyConfiguration.GeneratedFile] {
        guard workflow == .dockerCGAL else { return [] }
        return [.init(path: "input/settings.xml", contents: Data(try gssfXML(for: definition).utf8))]
    }
}
