/// A `<needle>`: a probe placed in the geometry, with its own parameters.
public struct Needle: Sendable, Hashable {
    /// The index as written (`1`, `needle2`, …). Unique within a definition.
    public var index: String
    /// `boundary`, `solid-boundary` or `point-sources`.
    public var needleClass: String
    public var file: FileReference
    public var parameters: ParameterSet
    public var line: Int?

    public init(index: String, needleClass: String, file: FileReference, parameters: ParameterSet, line: Int? = nil) {
        self.index = index
        self.needleClass = needleClass
        self.file = file
        self.parameters = parameters
        self.line = line
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.index == rhs.index && lhs.needleClass == rhs.needleClass && lhs.file == rhs.file
            && lhs.parameters == rhs.parameters
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(index)
        hasher.combine(file)
    }
}
