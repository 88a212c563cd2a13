import Foundation

/// A conceptual diff of two simulation definitions.
///
/// Researchers re-run variants of the same case; this tells them what actually changed, in the
/// original Glossia comparator's message forms, rather than a textual XML diff full of noise.
/// "this" is the left definition, "that" the right one.
public struct Comparator: Sendable {
    /// The first definition ("this" in the messages).
    public let left: SimulationDefinition
    /// The second definition ("that" in the messages).
    public let right: SimulationDefinition

    /// Compares `left` with `right`.
    public init(_ left: SimulationDefinition, _ right: SimulationDefinition) {
        self.left = left
        self.right = right
    }

    /// True when ``differences()`` finds nothing.
    public var isEqual: Bool { differences().isEmpty }

    /// One message per difference, in a stable order.
    public func differences() -> [String] {
        transferrer() + algorithms() + parameters(left.parameters, right.parameters, label: "Parameter")
            + numericalModel()
    }

    private func transferrer() -> [String] {
        let a = left.transferrer
        let b = right.transferrer
        var out: [String] = []
        if a?.kind != b?.kind {
            out.append("Transferrer: classes differ - \(a?.kind ?? "(none)") // \(b?.kind ?? "(none)")")
        }
        if a?.url != b?.url {
            out.append("Transferrer: URLs differ - \(a?.url ?? "(none)") // \(b?.url ?? "(none)")")
        }
        if a?.inputLocation != b?.inputLocation {
            out.append("Transferrer: input locations differ - \(a?.inputLocation ?? "(none)") // \(b?.inputLocation ?? "(none)")")
        }
        return out
    }

    private func algorithms() -> [String] {
        var out: [String] = []
        let theirs = Dictionary(right.algorithms.map { ($0.result, $0) }, uniquingKeysWith: { a, _ in a })
        let ours = Dictionary(left.algorithms.map { ($0.result, $0) }, uniquingKeysWith: { a, _ in a })
        for algorithm in left.algorithms {
            guard let other = theirs[algorithm.result] else {
                out.append("Algorithm: that has no algorithm for \(algorithm.result)")
                continue
            }
            if algorithm.arguments != other.arguments {
                out.append(
                    "Algorithm: \(algorithm.result) arguments differ - \(algorithm.arguments.joined(separator: ", ")) // \(other.arguments.joined(separator: ", "))")
            }
            if algorithm.content.trimmingCharacters(in: .whitespacesAndNewlines)
                != other.content.trimmingCharacters(in: .whitespacesAndNewlines)
            {
                out.append("Algorithm: \(algorithm.result) content differs")
            }
        }
        for algorithm in right.algorithms where ours[algorithm.result] == nil {
            out.append("Algorithm: this has no algorithm for \(algorithm.result)")
        }
        return out
    }

    /// Parameter differences; `label` is `Parameter` globally or `Needle: this (N)` per needle.
    private func parameters(_ a: ParameterSet, _ b: ParameterSet, label: String, owner: String? = nil) -> [String] {
        var out: [String] = []
        for parameter in a {
            guard let other = b[parameter.name] else {
                if let owner {
                    out.append("Needle: that (\(owner)) has no parameter \(parameter.name)")
                } else {
                    out.append("Parameter: that has no parameter \(parameter.name)")
                }
                continue
            }
            let prefix = owner.map { "Needle \($0): parameter \(parameter.name)" } ?? "\(label) \(parameter.name)"
            if !parameter.value.isSameValue(as: other.value) {
                out.append("\(prefix): values differ - \(parameter.rawValue ?? "null") // \(other.rawValue ?? "null")")
            }
            if parameter.type != other.type {
                out.append("\(prefix): types differ - \(parameter.type ?? "(none)") // \(other.type ?? "(none)")")
            }
        }
        for parameter in b where !a.contains(parameter.name) {
            if let owner {
                out.append("Needle: this (\(owner)) has no parameter \(parameter.name)")
            } else {
                out.append("Parameter: this has no parameter \(parameter.name)")
            }
        }
        return out
    }

    private func numericalModel() -> [String] {
        var out: [String] = []
        let a = left.definition
        let b = right.definition
        if a.family != b.family {
            out.append("Numerical Model: families differ - \(a.family) // \(b.family)")
        }
        if left.needles.count != right.needles.count {
            out.append("Numerical Model: this has different needle count than that")
        }
        for needle in left.needles {
            guard let other = right.needle(index: needle.index) else {
                out.append("Needle: that has no needle \(needle.index)")
                continue
            }
            if needle.needleClass != other.needleClass {
                out.append("Needle: for index \(needle.index), class fields differ \(needle.needleClass) // \(other.needleClass)")
            }
            if needle.file != other.file {
                out.append("Needle: for index \(needle.index), file fields differ \(needle.file) // \(other.file)")
            }
            out += parameters(needle.parameters, other.parameters, label: "Needle", owner: needle.index)
        }
        for needle in right.needles where left.needle(index: needle.index) == nil {
            out.append("Needle: this has no needle \(needle.index)")
        }
        if left.regions.count != right.regions.count {
            out.append("Numerical Model: this has different region count than that")
        }
        for region in left.regions {
            guard let other = right.region(id: region.id) else {
                out.append("Region: that has no region \(region.id)")
                continue
            }
            if region.format != other.format {
                out.append("Region: for ID \(region.id), format fields differ \(region.format.rawValue) // \(other.format.rawValue)")
            }
            if region.name != other.name {
                out.append("Region: for ID \(region.id), name fields differ \(region.name) // \(other.name)")
            }
            if region.input != other.input {
                out.append("Region: for ID \(region.id), input fields differ \(region.input) // \(other.input)")
            }
            if region.groups != other.groups {
                out.append(
                    "Region: for ID \(region.id), groups fields differ \(region.groups.joined(separator: "; ")) // \(other.groups.joined(separator: "; "))")
            }
        }
        for region in right.regions where left.region(id: region.id) == nil {
            out.append("Region: this has no region \(region.id)")
        }
        switch (a.source, b.source) {
        case (.location(let x), .location(let y)) where x != y:
            out.append("Numerical Model: definition locations differ - \(x) // \(y)")
        case (.location(let x), .inline):
            out.append("Numerical Model: this definition is an archive (\(x)), that is inline")
        case (.inline, .location(let y)):
            out.append("Numerical Model: this definition is inline, that is an archive (\(y))")
        case (.inline(let x), .inline(let y)) where x != y:
            let diff = UnifiedDiff(from: x, to: y, fromLabel: "this", toLabel: "that").lines
            out.append((["Numerical Model: definitions differ:"] + diff.map { " | " + $0 }).joined(separator: "\n"))
        default:
            break
        }
        return out
    }
}
