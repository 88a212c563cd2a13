/// A `<needle>`: a probe placed in the geometry, with its own parameters.
public struct Needle: Sendable, Hashable {
    /// The index as written (`1`, `needle2`, …). Unique within a definition.
    public var index: String
    /// `boundary`, `solid-boundary` or `point-sources`.
    public var needleClass: String
    /// The needle's geometry: a library needle or a file (the XML's `file`, or `input` when `file` is absent).
    public var file: FileReference
    /// The needle's own `<parameters>` (tip and entry locations, active length…), in document order.
    public var parameters: ParameterSet
    /// Line of the element in the source document, for error messages; not part of equality.
    public var line: Int?

    /// Creates a needle.
    public init(index: String, needleClass: String, file: FileReference, parameters: ParameterSet, line: Int? = nil) {
        self.index = index
        self.needleClass = needleClass
        self.file = file
        self.parameters = parameters
        self.line = line
    }

    /// Equal when every field but ``line`` is equal.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.index == rhs.index && lhs.needleClass == rhs.needleClass && lhs.file == rhs.file
            && lhs.parameters == rhs.parameters
    }

    /// Hashes the index and file, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(index)
        hasher.combine(file)
    }
}
