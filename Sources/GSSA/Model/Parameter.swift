/// One `<parameter name value type>`: the raw string as written, its declared type, and the
/// converted value.
///
/// The raw form is kept because solver inputs (`parameters.yml`) pass it through untouched.
public struct Parameter: Sendable, Hashable {
    /// The parameter's name (`name`), e.g. `CONSTANT_BODY_TEMPERATURE`; unique within its set.
    public var name: String
    /// The value exactly as written in the XML, or nil when the attribute is absent.
    public var rawValue: String?
    /// The informational type, e.g. `float` or `array(array(int, int, float))`.
    public var type: String?
    /// Line of the element in the source document, for error messages.
    public var line: Int?

    /// Creates a parameter from its attributes as written.
    public init(name: String, rawValue: String?, type: String?, line: Int? = nil) {
        self.name = name
        self.rawValue = rawValue
        self.type = type
        self.line = line
    }

    /// The value converted by ``ParameterValue/convert(_:type:)``.
    public var value: ParameterValue { ParameterValue.convert(rawValue, type: type) }

    /// Equal when name, raw value and type are equal; the line does not count.
    public static func == (lhs: Parameter, rhs: Parameter) -> Bool {
        lhs.name == rhs.name && lhs.rawValue == rhs.rawValue && lhs.type == rhs.type
    }

    /// Hashes name, raw value and type, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(rawValue)
        hasher.combine(type)
    }
}
