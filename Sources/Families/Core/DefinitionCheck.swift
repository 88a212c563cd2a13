import Foundation
import GSSA
import Yams

/// What `gssa run` would trip over later, found before anything runs.
///
/// Parsing and configuring already refuse malformed definitions; these are the problems that
/// only showed up inside the container or at transfer time: a value that does not have its
/// declared type, a parameter the model declares but the definition lacks, an input file that is
/// not there. Every problem is reported, not only the first, each naming its line and element.
public struct DefinitionCheck: Sendable {
    /// The definition to check.
    public var definition: SimulationDefinition
    /// What its family made of it: the generated files and the inputs to fetch.
    public var configuration: FamilyConfiguration

    /// Creates a check of a configured definition.
    public init(definition: SimulationDefinition, configuration: FamilyConfiguration) {
        self.definition = definition
        self.configuration = configuration
    }

    /// Every problem found; `inputs`, when given, is where the input files must be.
    public func problems(inputs: URL? = nil) -> [GSSAError] {
        var found: [GSSAError] = []
        for parameter in definition.parameters {
            if let problem = Self.typeProblem(parameter, owner: "<parameter name=\"\(parameter.name)\">") { found.append(problem) }
        }
        for needle in definition.needles {
            for parameter in needle.parameters {
                let owner = "<needle index=\"\(needle.index)\"> <parameter name=\"\(parameter.name)\">"
                if let problem = Self.typeProblem(parameter, owner: owner) { found.append(problem) }
            }
        }
        // A declared parameter may be global (P) or per needle (NP), as gosmart reads both.
        let given = Set(definition.parameters.names + definition.needles.flatMap(\.parameters.names))
        for name in configuration.declaredParameters ?? [] where !given.contains(name) {
            found.append(
                GSSAError.client(
                    "the model declares parameter \(name), but the definition has no <parameter name=\"\(name)\">",
                    line: definition.definition.line, element: "<definition family=\"\(definition.family)\">"))
        }
        if let inputs {
            for file in configuration.required {
                var isDirectory: ObjCBool = false
                let path = inputs.appendingPathComponent(file.remote).path
                if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) || isDirectory.boolValue {
                    found.append(GSSAError.client("input file \(file.remote) (for \(file.local)) not found in \(inputs.path)"))
                }
            }
        }
        return found
    }

    /// A value that does not convert to its declared scalar type, or a structured type
    /// (`array(…)`, `object`) whose value is not JSON of that shape. Untyped and `null` values pass.
    static func typeProblem(_ parameter: Parameter, owner: String) -> GSSAError? {
        guard let raw = parameter.rawValue, raw != "null", let type = parameter.type else { return nil }
        let kind = type.trimmingCharacters(in: .whitespaces).lowercased()
        let value = parameter.value
        let fits: Bool
        switch kind {
        case "float": fits = value.doubleValue != nil
        case "integer", "int": if case .int = value { fits = true } else { fits = false }
        case _ where kind.hasPrefix("array"): fits = value.arrayValue != nil
        case "object", "dict": if case .object = value { fits = true } else { fits = false }
        default: return nil  // string, boolean and the original's informational types
        }
        guard !fits else { return nil }
        return GSSAError.client(
            "value '\(raw)' is not of type \(type)", line: parameter.line, element: owner, attribute: "value")
    }

    /// The names in a declared-parameters YAML document (`NAME: type` lines), or nil when it is
    /// not a mapping.
    public static func declaredNames(inYAML text: String) -> [String]? {
        guard let node = try? Yams.compose(yaml: text), let mapping = node.mapping else { return nil }
        return mapping.keys.compactMap(\.string)
    }
}
