/// A `<region>`: a surface file with a meaning and groups.
public struct Region: Sendable, Hashable {
    public enum Format: String, Sendable, CaseIterable {
        case surface, zone, both, mesh
    }

    public var id: String
    /// The clinical meaning (`organ`, `tumour`, `vessel-…`); the XML's `name`.
    public var name: String
    public var format: Format
    /// The remote file name, with any `mode:` prefix removed.
    public var input: String
    public var groups: [String]
    public var line: Int?

    public init(id: String, name: String, format: Format, input: String, groups: [String], line: Int? = nil) {
        self.id = id
        self.name = name
        self.format = format
        self.input = input
        self.groups = groups
        self.line = line
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.id == rhs.id && lhs.name == rhs.name && lhs.format == rhs.format && lhs.input == rhs.input
            && lhs.groups == rhs.groups
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(input)
    }
}
