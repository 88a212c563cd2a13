import Foundation
import GSSA
import Yams

/// The generic Docker-family solver input: the three YAML files, the start tarball and the map
/// of inputs to fetch, exactly as a `gosmart` start script expects them.
///
/// Layout (all under `input/`): `regions.yml`, `parameters.yml` (`{NAME: [type, value]}`),
/// `needle_parameters.yml` (one YAML document per needle), `start.tar.gz`, and each surface as
/// `<region-id><ext>` or `<needle-index><ext>`.
public struct SolverInput: Sendable {
    /// The definition the files are generated from.
    public let definition: SimulationDefinition

    /// Prepares the solver input for a definition; nothing is generated until asked.
    public init(definition: SimulationDefinition) {
        self.definition = definition
    }

    /// The local file name for a remote one: `<key><ext>`, keeping `.tar.gz` whole.
    public static func localName(key: String, remote: String) -> String {
        key + SafePath.fileExtension(of: remote)
    }

    /// A region's local file name; an uploaded mesh becomes `input.msh`, where solvers look for
    /// the mesh whichever way it was made.
    public static func localName(for region: Region) -> String {
        region.format == .mesh ? "input.msh" : localName(key: region.id, remote: region.input)
    }

    /// Rejects what no family can use: more than one uploaded mesh.
    public func validate() throws(GSSAError) {
        let meshes = definition.regions.filter { $0.format == .mesh }
        if meshes.count > 1 {
            throw GSSAError.client(
                "only one region may upload a mesh (format mesh), found \(meshes.map(\.id).joined(separator: ", "))",
                line: meshes[1].line, element: "<region id=\"\(meshes[1].id)\">", attribute: "format")
        }
    }

    /// Regions with the organ-as-subdomain rule applied.
    public var effectiveRegions: [Region] {
        definition.regions.map { region in
            var region = region
            if region.name == "organ" && definition.parameters.isSet("SETTING_ORGAN_AS_SUBDOMAIN") {
                region.format = definition.parameters.isSet("SETTING_ORGAN_AS_SURFACE") ? .both : .zone
            }
            return region
        }
    }

    /// Inputs to fetch: every region (all formats carry a file) and every file-backed needle.
    public var requiredFiles: [FamilyConfiguration.RequiredFile] {
        var files: [FamilyConfiguration.RequiredFile] = []
        for region in effectiveRegions {
            files.append(.init(local: "input/" + Self.localName(for: region), remote: region.input))
        }
        for needle in definition.needles where needle.file.isFile {
            files.append(.init(local: "input/" + Self.localName(key: needle.index, remote: needle.file.value), remote: needle.file.value))
        }
        if let location = definition.definition.location {
            files.append(.init(local: "input/start.tar.gz", remote: location))
        }
        return files
    }

    /// `regions.yml`: `{id: {format, groups, input, meaning}}`.
    public func regionsYAML() throws(GSSAError) -> Data {
        var pairs: [(Node, Node)] = []
        for region in effectiveRegions {
            let entry = Node.mapping(.init([
                (Node("format"), YAMLOutput.string(region.format.rawValue)),
                (Node("groups"), Node.sequence(.init(region.groups.map(YAMLOutput.string), .implicit, .flow))),
                (Node("input"), YAMLOutput.string(Self.localName(for: region))),
                (Node("meaning"), YAMLOutput.string(region.name)),
            ]))
            pairs.append((YAMLOutput.string(region.id), entry))
        }
        return try YAMLOutput.document(Node.mapping(.init(pairs)))
    }

    /// `parameters.yml`: `{NAME: [type, value-as-written]}`.
    public static func parametersYAML(_ parameters: ParameterSet) throws(GSSAError) -> Data {
        try YAMLOutput.document(parametersNode(parameters))
    }

    static func parametersNode(_ parameters: ParameterSet) -> Node {
        Node.mapping(.init(parameters.map { parameter in
            (YAMLOutput.string(parameter.name), Node.sequence(.init([YAMLOutput.optional(parameter.type), YAMLOutput.optional(parameter.rawValue)], .implicit, .flow)))
        }))
    }

    /// `needle_parameters.yml`: one document per needle, `{class, index, input, parameters}`.
    public func needleParametersYAML() throws(GSSAError) -> Data {
        let documents = definition.needles.map { needle -> Node in
            let input: String
            if needle.file.isFile {
                input = "\(needle.file.mode.rawValue):" + Self.localName(key: needle.index, remote: needle.file.value)
            } else {
                input = needle.file.description
            }
            return Node.mapping(.init([
                (Node("class"), YAMLOutput.string(needle.needleClass)),
                (Node("index"), YAMLOutput.string(needle.index)),
                (Node("input"), YAMLOutput.string(input)),
                (Node("parameters"), Self.parametersNode(needle.parameters)),
            ]))
        }
        return try YAMLOutput.documents(documents)
    }

    /// Generated files common to every Docker family. `fallbackScript` is used when the
    /// definition carries no model of its own (drop-in families ship one).
    public func generatedFiles(fallbackScript: StartArchive? = nil) throws(GSSAError) -> [FamilyConfiguration.GeneratedFile] {
        var files: [FamilyConfiguration.GeneratedFile] = [
            .init(path: "input/regions.yml", contents: try regionsYAML()),
            .init(path: "input/parameters.yml", contents: try Self.parametersYAML(definition.parameters)),
            .init(path: "input/needle_parameters.yml", contents: try needleParametersYAML()),
        ]
        if let text = definition.definition.inlineText, !text.isEmpty {
            let start = StartArchive(inline: text, firstLine: definition.definition.textLine)
            files.append(.init(path: "input/start.tar.gz", contents: try start.tarball()))
        } else if definition.definition.location == nil {
            guard let fallbackScript else {
                throw GSSAError.client(
                    "the definition has neither inline text nor a location, and family \(definition.family) ships no start script",
                    line: definition.definition.line, element: "<definition family=\"\(definition.family)\">")
            }
            files.append(.init(path: "input/start.tar.gz", contents: try fallbackScript.tarball()))
        }
        return files
    }
}

/// Serialises YAML through Yams with stable, block-style output.
enum YAMLOutput {
    static func optional(_ value: String?) -> Node {
        guard let value else { return Node("null", Tag(.null)) }
        return string(value)
    }

    /// A string scalar, quoted whenever YAML would otherwise read it as a number, bool or null.
    static func string(_ value: String) -> Node {
        let plain = Node(value)
        let needsQuotes = Resolver.default.resolveTag(of: plain) != .str || value.isEmpty
            || value.first == " " || value.last == " "
        return Node(value, Tag(.str), needsQuotes ? .singleQuoted : .any)
    }

    static func document(_ node: Node) throws(GSSAError) -> Data {
        do {
            return Data(try Yams.serialize(node: node, sortKeys: false).utf8)
        } catch {
            throw GSSAError.server("cannot serialise YAML: \(error)")
        }
    }

    static func documents(_ nodes: [Node]) throws(GSSAError) -> Data {
        if nodes.isEmpty { return Data() }
        do {
            return Data(try Yams.serialize(nodes: nodes, explicitStart: true, sortKeys: false).utf8)
        } catch {
            throw GSSAError.server("cannot serialise YAML: \(error)")
        }
    }
}
