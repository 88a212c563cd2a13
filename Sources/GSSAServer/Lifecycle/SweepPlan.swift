import Foundation
import GSSA

/// A checked sweep: the swept global parameters in numbering order and their values.
///
/// Every bound is checked before a child exists: the number of parameters, each value's
/// length, an empty list, and the size of the cartesian product (without overflow) against
/// the server's maximum. Child `i` (0-based) takes the `i`-th combination with the last
/// parameter varying fastest.
struct SweepPlan: Sendable, Hashable {
    /// Names in numbering order.
    let parameters: [String]
    /// The values of each parameter, in the order given.
    let values: [[String]]
    /// Number of children (the product of the value counts).
    let size: Int

    static let maximumParameters = 32
    static let maximumValueLength = 4096

    init(sweep: [String: [String]], order: [String]?, maximum: Int) throws(APIFailure) {
        guard sweep.count <= Self.maximumParameters else {
            throw Self.refusal("sweep: at most \(Self.maximumParameters) parameters, not \(sweep.count)", field: "sweep")
        }
        let names: [String]
        if let order {
            guard order.count == sweep.count, Set(order) == Set(sweep.keys) else {
                throw Self.refusal("sweep_order must name each swept parameter exactly once", field: "sweep_order")
            }
            names = order
        } else {
            names = sweep.keys.sorted()
        }
        var size = 1
        var values: [[String]] = []
        for name in names {
            let list = sweep[name] ?? []
            guard !list.isEmpty else {
                throw Self.refusal("sweep.\(name.prefix(64)): no values (an empty list or range)", field: "sweep.\(name.prefix(64))")
            }
            if let bad = list.first(where: { $0.isEmpty || $0.count > Self.maximumValueLength }) {
                throw Self.refusal(
                    "sweep.\(name.prefix(64)): every value must be 1 to \(Self.maximumValueLength) characters (got \(bad.count))",
                    field: "sweep.\(name.prefix(64))")
            }
            let (product, overflow) = size.multipliedReportingOverflow(by: list.count)
            guard !overflow, product <= maximum else {
                throw Self.refusal(
                    "sweep: \(overflow ? "too many" : String(product)) runs is more than the server's maximum of \(maximum) "
                        + "(raise it with `gssa server --max-sweep-size`)", field: "sweep")
            }
            size = product
            values.append(list)
        }
        self.parameters = names
        self.values = values
        self.size = size
    }

    private static func refusal(_ message: String, field: String) -> APIFailure {
        APIFailure(.badRequest, .client(message, attribute: field))
    }

    /// The values of child `index` (0-based): the last parameter varies fastest.
    func values(of index: Int) -> [String: String] {
        var rest = index
        var result: [String: String] = [:]
        for position in parameters.indices.reversed() {
            let list = values[position]
            result[parameters[position]] = list[rest % list.count]
            rest /= list.count
        }
        return result
    }

    /// Names of the definition's global parameters (`<parameters>` under the root).
    static func globalParameters(of root: LocatedElement) -> [String] {
        root.child(named: "parameters")?.children(named: "parameter").compactMap { $0[attribute: "name"] } ?? []
    }

    /// Refuses a swept name that is not a global parameter of the definition, naming it and what there is.
    func check(against root: LocatedElement) throws(APIFailure) {
        let known = Self.globalParameters(of: root)
        for name in parameters where !known.contains(name) {
            let list = known.prefix(20).joined(separator: ", ") + (known.count > 20 ? ", …" : "")
            throw Self.refusal(
                "sweep.\(name.prefix(64)): the definition has no global parameter '\(name.prefix(64))'"
                    + (known.isEmpty ? " (it has none)" : " (it has: \(list))"),
                field: "sweep.\(name.prefix(64))")
        }
        // Typed parameters take values of their type (where a definition's own value would fall
        // back to a string, a swept one is refused: it is almost certainly a typo).
        let elements = root.child(named: "parameters")?.children(named: "parameter") ?? []
        for (position, name) in parameters.enumerated() {
            let type = elements.first { $0[attribute: "name"] == name }?[attribute: "type"]?.lowercased()
            for value in values[position] {
                let trimmed = value.trimmingCharacters(in: .whitespaces)
                let fits: Bool = switch type {
                case "float": Double(trimmed)?.isFinite == true
                case "integer", "int": Int(trimmed) != nil
                case "boolean", "bool": ["true", "false", "1", "0"].contains(trimmed.lowercased())
                default: true
                }
                guard fits else {
                    throw Self.refusal(
                        "sweep.\(name.prefix(64)): '\(value.prefix(64))' is not a value of type \(type ?? "")", field: "sweep.\(name.prefix(64))")
                }
            }
        }
    }

    /// The definition with `values` set on its global parameters.
    static func definition(_ root: LocatedElement, values: [String: String]) -> Data {
        var root = root
        if let block = root.children.firstIndex(where: { $0.name == "parameters" }) {
            for index in root.children[block].children.indices where root.children[block].children[index].name == "parameter" {
                guard let name = root.children[block].children[index][attribute: "name"], let value = values[name] else { continue }
                var attributes = root.children[block].children[index].attributes
                if let position = attributes.firstIndex(where: { $0.name == "value" }) {
                    attributes[position].value = value
                } else {
                    attributes.append((name: "value", value: value))
                }
                root.children[block].children[index].attributes = attributes
            }
        }
        return XMLTreeWriter.data(root)
    }
}
