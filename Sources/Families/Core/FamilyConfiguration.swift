import Foundation
import GSSA

/// Everything a family decided for one run: generated files and the inputs to fetch.
///
/// Keeping this a value (rather than writing as we go) lets the CLI show exactly what a family
/// will hand to its container, and lets the server fetch inputs with any transferrer.
public struct FamilyConfiguration: Sendable {
    /// A file the family generated, at a path relative to the run directory.
    public struct GeneratedFile: Sendable, Hashable {
        /// Where the file goes, relative to the run directory (e.g. `input/parameters.yml`).
        public var path: String
        /// The file's bytes.
        public var contents: Data
        /// Creates a generated file.
        public init(path: String, contents: Data) {
            self.path = path
            self.contents = contents
        }
    }

    /// An input to fetch: `local` relative to the run directory, `remote` as named in the XML.
    public struct RequiredFile: Sendable, Hashable {
        /// Where the input goes, relative to the run directory.
        public var local: String
        /// The input's name as written in the XML, fetched through the transferrer.
        public var remote: String
        /// Creates a required input.
        public init(local: String, remote: String) {
            self.local = local
            self.remote = remote
        }
    }

    /// The family's name.
    public var family: String
    /// The solver image the run uses.
    public var image: String
    /// Whether CGAL meshes on the host before the container runs.
    public var workflow: Workflow
    /// How the runner starts the model, e.g. `python3`.
    public var interpreter: String
    /// The files the family generated, in order.
    public var generated: [GeneratedFile]
    /// The inputs to fetch before the run.
    public var required: [RequiredFile]
    /// True when the definition uploads its own mesh, so host meshing is skipped.
    public var hasUploadedMesh: Bool
    /// The parameters the model declares (its `parameters.yml` header), when known.
    public var declaredParameters: [String]?

    /// Creates a configuration; only the family, image and workflow are required.
    public init(
        family: String, image: String, workflow: Workflow, interpreter: String = "python3",
        generated: [GeneratedFile] = [], required: [RequiredFile] = [], hasUploadedMesh: Bool = false,
        declaredParameters: [String]? = nil
    ) {
        self.family = family
        self.image = image
        self.workflow = workflow
        self.interpreter = interpreter
        self.generated = generated
        self.required = required
        self.hasUploadedMesh = hasUploadedMesh
        self.declaredParameters = declaredParameters
    }

    /// The generated file at this path, if any.
    public func generatedFile(_ path: String) -> GeneratedFile? { generated.first { $0.path == path } }

    /// Writes generated files and copies required inputs from `inputs` into `directory`.
    ///
    /// Nothing is written unless every required input exists, so a failed configure never
    /// leaves a half-populated run directory behind.
    /// - Returns: the relative paths written, in order.
    @discardableResult
    public func write(to directory: URL, inputs: URL) throws(GSSAError) -> [String] {
        let fm = FileManager.default
        var sources: [(RequiredFile, URL)] = []
        for file in required {
            guard SafePath.isSafeRelative(file.remote), SafePath.isSafeRelative(file.local) else {
                throw GSSAError.client("input name must be relative without '..': \(file.remote)")
            }
            let source = inputs.appendingPathComponent(file.remote)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: source.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw GSSAError.client("input file \(file.remote) (for \(file.local)) not found in \(inputs.path)")
            }
            sources.append((file, source))
        }
        var written: [String] = []
        do {
            for file in generated {
                let target = directory.appendingPathComponent(file.path)
                try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try file.contents.write(to: target, options: .atomic)
                written.append(file.path)
            }
            for (file, source) in sources {
                let target = directory.appendingPathComponent(file.local)
                try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                if fm.fileExists(atPath: target.path) { try fm.removeItem(at: target) }
                try fm.copyItem(at: source, to: target)
                written.append(file.local)
            }
        } catch {
            throw GSSAError.server("cannot write family input to \(directory.path): \(error.localizedDescription)")
        }
        return written
    }
}
