/// An ordered set of parameters with typed accessors.
///
/// Document order is kept because every file we generate lists parameters in the order the
/// author wrote them, which makes generated inputs diffable against the XML.
public struct ParameterSet: Sendable, Hashable, Sequence {
    /// The parameters in document order; change them through the name subscript, which keeps the names unique.
    public private(set) var ordered: [Parameter]
    private var index: [String: Int]

    /// Creates a set in the given order; a later parameter of the same name replaces an earlier one in place.
    public init(_ parameters: [Parameter] = []) {
        ordered = []
        index = [:]
        for parameter in parameters { self[parameter.name] = parameter }
    }

    /// The number of parameters.
    public var count: Int { ordered.count }
    /// True when there are no parameters.
    public var isEmpty: Bool { ordered.isEmpty }
    /// The parameter names, in document order.
    public var names: [String] { ordered.map(\.name) }
    /// Iterates the parameters in document order.
    public func makeIterator() -> IndexingIterator<[Parameter]> { ordered.makeIterator() }

    /// Whether a parameter of this name is present (even with a `null` value).
    public func contains(_ name: String) -> Bool { index[name] != nil }

    /// Replaces a parameter of the same name in place, or appends.
    public subscript(name: String) -> Parameter? {
        get { index[name].map { ordered[$0] } }
        set {
            if let position = index[name] {
                if let newValue {
                    ordered[position] = newValue
                } else {
                    ordered.remove(at: position)
                    index = Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1.name, $0) })
                }
            } else if let newValue {
                index[name] = ordered.count
                ordered.append(newValue)
            }
        }
    }

    /// The converted value, or nil when absent or `null`.
    public func value(_ name: String) -> ParameterValue? {
        guard let value = self[name]?.value, !value.isNull else { return nil }
        return value
    }

    /// The value as a number (integers widen); nil when absent, `null` or not a number.
    public func double(_ name: String) -> Double? { value(name)?.doubleValue }
    /// The value as an integer (a whole `Double` counts); nil when absent, `null` or not one.
    public func int(_ name: String) -> Int? { value(name)?.intValue }
    /// The value as a Boolean; nil when absent, `null` or not a Boolean.
    public func bool(_ name: String) -> Bool? { value(name)?.boolValue }

    /// Strings as written; other values in their JSON form.
    public func string(_ name: String) -> String? {
        guard let value = value(name) else { return nil }
        return value.stringValue ?? value.pythonJSON
    }

    /// Whether a flag parameter is present and not false, as the original's `if get_parameter(...)`.
    public func isSet(_ name: String) -> Bool {
        switch value(name) {
        case nil, .bool(false)?, .int(0)?, .string("")?: false
        case .double(let value)?: value != 0
        case .array(let values)?: !values.isEmpty
        default: true
        }
    }

    /// Decodes a parameter into any `Decodable`, e.g. `array([Double].self, "NEEDLE_TIP_LOCATION")`.
    public func array<T: Decodable>(_ type: T.Type, _ name: String) -> T? {
        guard let value = value(name) else { return nil }
        return try? value.decode(T.self)
    }
}

import Foundation

extension ParameterValue {
    /// Decodes the value into a `Decodable` type through JSON.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let data = try JSONEncoder().encode(self)
        return try JSONDecoder().decode(T.self, from: data)
    }
}
