import Foundation
import GSSA

/// GSSF/Elmer: the whole GSSF-XML (mesher, ElmerGrid, Elmer variant, lesion, validation) is
/// written to `input/settings.xml` and GSSF runs inside the image.
public struct ElmerLibNumaFamily: DockerFamily, MesherGSSF {
    /// The solver image; `gssa/goosefoot:bookworm` by default.
    public let image: String
    /// `elmer-libnuma`.
    public var name: String { "elmer-libnuma" }
    /// `docker-only`: GSSF meshes inside the image.
    public var workflow: Workflow { .dockerOnly }
    /// The job logs and GSSF's lesion and volume outputs.
    public var retrievableFiles: [String] {
        ["logs/job.out", "logs/job.err", "lesion_surface.vtp", "output.vtu", "lesion_volume.vtu"]
    }

    /// MATC functions that could touch the file system or evaluate strings.
    public static let forbiddenMATC: [String] = [
        "funcdel", "sprintf", "sscanf", "eval", "source", "fread", "fscanf", "fgets", "fwrite", "fprintf",
        "fputs", "fopen", "freopen", "fclose", "save", "load", "format",
    ]

    /// Creates the family with its solver image.
    public init(image: String = "gssa/goosefoot:bookworm") {
        self.image = image
    }

    /// Refuses algorithms that use a forbidden MATC function (see ``forbiddenMATC``) and more than one region in `segmented-lesions`.
    public func validate(_ definition: SimulationDefinition) throws(GSSAError) {
        for algorithm in definition.algorithms {
            for word in Self.forbiddenMATC where algorithm.content.contains(word) || algorithm.result.contains(word) {
                throw GSSAError.client(
                    "algorithm uses the forbidden MATC function '\(word)'", line: algorithm.line,
                    element: "<algorithm result=\"\(algorithm.result)\">")
            }
        }
        let lesions = definition.regions.filter { $0.groups.contains("segmented-lesions") }
        if lesions.count > 1 {
            throw GSSAError.client(
                "only one region may be in group segmented-lesions, found \(lesions.map(\.id).joined(separator: ", "))",
                line: lesions[1].line, element: "<region id=\"\(lesions[1].id)\">", attribute: "groups")
        }
    }

    /// `input/settings.xml`: the full GSSF-XML from ``settings(for:)``.
    public func additionalFiles(for definition: SimulationDefinition) throws(GSSAError) -> [FamilyConfiguration.GeneratedFile] {
        let text = GSSFBuilder.render(try settings(for: definition))
        return [.init(path: "input/settings.xml", contents: Data(text.utf8))]
    }

    /// The full GSSF-XML: the mesher document plus the Elmer sections.
    public func settings(for definition: SimulationDefinition) throws(GSSAError) -> LocatedElement {
        try validate(definition)
        var root = try gssfDocument(for: definition)
        let parameters = definition.parameters
        root.addChild(element("elmergrid"))

        var elmer = element("elmer")
        var modules: [String] = []
        if let value = parameters.value("ELMER_NUMA_MODULES") {
            modules = value.arrayValue?.map { $0.stringValue ?? $0.pythonJSON } ?? [value.stringValue ?? value.pythonJSON]
        }
        var variant = element("variant", [("modules", modules.joined(separator: "; "))])
        variant.text = definition.definition.inlineText ?? ""
        elmer.addChild(variant)

        for needle in definition.needles where needle.needleClass == "point-sources" {
            let system = needle.file.mode == .library ? needle.file.value : "extrapolated"
            var sources = element("pointsources", [("system", system)])
            if case .object(let phases)? = parameters.value("CONSTANT_NEEDLE_EXTENSIONS") {
                var extensions = element("extensions")
                for phase in phases.keys.sorted() {
                    let length = phases[phase]!.doubleValue.map { "\($0)" } ?? phases[phase]!.pythonJSON
                    extensions.addChild(element("extension", [("phase", phase), ("length", length)]))
                }
                sources.addChild(extensions)
            }
            if needle.file.mode == .library && needle.file.value == "straight tines",
                let prongs = needle.parameters.array([[Double]].self, "NEEDLE_PRONGS_LOCATIONS")
            {
                var points = element("points")
                for (i, prong) in prongs.enumerated() where prong.count == 3 {
                    points.addChild(element("point", [("i", "\(i)"), ("x", "\(prong[0])"), ("y", "\(prong[1])"), ("z", "\(prong[2])")]))
                }
                sources.addChild(points)
            }
            elmer.addChild(sources)
        }

        if !definition.algorithms.isEmpty {
            var algorithms = element("algorithms")
            for algorithm in definition.algorithms {
                var node = element("algorithm", [("result", algorithm.result), ("arguments", algorithm.arguments.joined(separator: ","))])
                var arguments = element("arguments")
                for argument in algorithm.arguments { arguments.addChild(element("argument", [("name", argument)])) }
                node.addChild(arguments)
                var content = element("content")
                content.text = algorithm.content
                node.addChild(content)
                algorithms.addChild(node)
            }
            elmer.addChild(algorithms)
        }
        root.addChild(elmer)

        if let field = parameters.string("SETTING_LESION_FIELD") {
            var attributes = [("field", field)]
            if let upper = parameters.value("SETTING_LESION_THRESHOLD_UPPER") { attributes.append(("threshold_upper", upper.doubleValue.map { "\($0)" } ?? upper.pythonJSON)) }
            if let lower = parameters.value("SETTING_LESION_THRESHOLD_LOWER") { attributes.append(("threshold_lower", lower.doubleValue.map { "\($0)" } ?? lower.pythonJSON)) }
            root.addChild(element("lesion", attributes))
        }
        if let lesion = definition.regions.first(where: { $0.groups.contains("segmented-lesions") }) {
            root.addChild(element("validation", [("reference", lesion.id)]))
        }
        return root
    }
}
