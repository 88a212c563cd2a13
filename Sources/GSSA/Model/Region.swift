/// A `<region>`: a surface file with a meaning and groups.
public struct Region: Sendable, Hashable {
    /// How the mesher uses a region's file (the XML's `format`): `surface`, `zone`, `both`, or `mesh` for an uploaded mesh that is not remeshed.
    public enum Format: String, Sendable, CaseIterable {
        case surface, zone, both, mesh
    }

    /// The region's identifier (`id`), a plain name unique within the definition; needles and mesher rules refer to it.
    public var id: String
    /// The clinical meaning (`organ`, `tumour`, `vessel-…`); the XML's `name`.
    public var name: String
    /// How the mesher uses the file.
    public var format: Format
    /// The remote file name, with any `mode:` prefix removed.
    public var input: String
    /// The region's groups (`groups`, a JSON array of strings in the XML); `vessels`, `bronchi` and `segmented-lesions` drive meshing rules.
    public var groups: [String]
    /// Line of the element in the source document, for error messages; not part of equality.
    public var line: Int?

    /// Creates a region.
    public init(id: String, name: String, format: Format, input: String, groups: [String], line: Int? = nil) {
        self.id = id
        self.name = name
        self.format = format
        self.input = input
        self.groups = groups
        self.line = line
    }

    /// Equal when every field but ``line`` is equal: moving an element does not change the model.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.id == rhs.id && lhs.name == rhs.name && lhs.format == rhs.format && lhs.input == rhs.input
            && lhs.groups == rhs.groups
    }

    /// Hashes the identifier and input, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(input)
    }
}
