import Foundation

/// A converted parameter value.
///
/// GSSA parameters travel as strings with an informational type (`float`, `array(float)`, …);
/// solvers need numbers and arrays. This mirrors the original's conversion so a start script
/// and the server agree on what a value means.
public enum ParameterValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([ParameterValue])
    case object([String: ParameterValue])

    /// Converts a raw value by its declared type, following the original's rules:
    /// `"null"` is nil; `float`, `integer`, `boolean`, `string` are cast; anything else (or a
    /// failed cast) is tried as JSON; a value that still does not parse keeps its raw string.
    public static func convert(_ raw: String?, type: String?) -> ParameterValue {
        guard let raw, raw != "null" else { return .null }
        switch type?.trimmingCharacters(in: .whitespaces).lowercased() {
        case "float":
            if let value = Double(raw.trimmingCharacters(in: .whitespaces)) { return .double(value) }
        case "integer", "int":
            if let value = Int(raw.trimmingCharacters(in: .whitespaces)) { return .int(value) }
        case "boolean", "bool":
            return .bool(!(raw.isEmpty || raw.lowercased() == "false"))
        case "string":
            return .string(raw)
        default:
            break
        }
        return parseJSON(raw) ?? .string(raw)
    }

    /// Parses JSON text, keeping integers and floats apart (`3.0` stays a float).
    public static func parseJSON(_ text: String) -> ParameterValue? {
        guard let data = text.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        else { return nil }
        return ParameterValue(jsonObject: object)
    }

    init?(jsonObject object: Any) {
        switch object {
        case is NSNull:
            self = .null
        case let string as String:
            self = .string(string)
        case let number as NSNumber:
            switch String(cString: number.objCType) {
            case "c", "B": self = .bool(number.boolValue)
            case "f", "d": self = .double(number.doubleValue)
            default: self = .int(number.intValue)
            }
        case let array as [Any]:
            var values: [ParameterValue] = []
            for element in array {
                guard let value = ParameterValue(jsonObject: element) else { return nil }
                values.append(value)
            }
            self = .array(values)
        case let dictionary as [String: Any]:
            var values: [String: ParameterValue] = [:]
            for (key, element) in dictionary {
                guard let value = ParameterValue(jsonObject: element) else { return nil }
                values[key] = value
            }
            self = .object(values)
        default:
            return nil
        }
    }

    /// True for `null` (an absent or `null` value).
    public var isNull: Bool { self == .null }

    /// Equality that treats `7` and `7.0` as the same number, as a reader of the model would.
    public func isSameValue(as other: ParameterValue) -> Bool {
        switch (self, other) {
        case (.int, .double), (.double, .int): return doubleValue == other.doubleValue
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.isSameValue(as: $1) }
        case (.object(let a), .object(let b)):
            return a.keys.sorted() == b.keys.sorted() && a.allSatisfy { key, value in b[key].map(value.isSameValue) ?? false }
        default: return self == other
        }
    }

    /// Numbers widen to `Double`, so `3` and `3.0` both read as 3.
    public var doubleValue: Double? {
        switch self {
        case .double(let value): value
        case .int(let value): Double(value)
        default: nil
        }
    }

    /// The value as an integer; a `Double` counts when it is whole and in range. Nil otherwise.
    public var intValue: Int? {
        switch self {
        case .int(let value): value
        case .double(let value) where value.rounded() == value && abs(value) < 9.0e18: Int(value)
        default: nil
        }
    }

    /// The value when it is a Boolean; nil otherwise.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The value when it is a string; nil otherwise.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The elements when it is an array; nil otherwise.
    public var arrayValue: [ParameterValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The value as Python's `json.dumps` writes it (`[0.0, 14.0, 0.0]`, `true`, `"x"`).
    ///
    /// GSSF-XML carries constants in this form, and downstream tools compare them textually.
    public var pythonJSON: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value):
            if value.isNaN { return "NaN" }
            if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
            return value.description
        case .string(let value): return Self.quote(value)
        case .array(let values): return "[" + values.map(\.pythonJSON).joined(separator: ", ") + "]"
        case .object(let values):
            return "{" + values.keys.sorted().map { "\(Self.quote($0)): \(values[$0]!.pythonJSON)" }
                .joined(separator: ", ") + "}"
        }
    }

    private static func quote(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value > 0x7E:
                if scalar.value > 0xFFFF {
                    let v = scalar.value - 0x10000
                    out += String(format: "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF))
                } else {
                    out += String(format: "\\u%04x", scalar.value)
                }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension ParameterValue: Codable {
    /// Decodes any JSON value: `null`, Boolean, integer, number, string, array or object, tried in that order.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([ParameterValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: ParameterValue].self)) }
    }

    /// Encodes the value as the matching JSON value.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
