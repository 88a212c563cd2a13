/// The `<definition family="…">`: which family runs the model, and the model itself.
public struct ModelDefinition: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        /// A `.tar.gz` holding `start.py` and friends, fetched through the transferrer.
        case location(String)
        /// Inline text: a start script, optionally preceded by a declared-parameters header.
        case inline(String)
    }

    public var family: String
    public var source: Source
    public var line: Int?
    /// The line of the XML file on which inline text begins (after blank lines are dropped).
    public var textLine: Int?

    public init(family: String, source: Source, line: Int? = nil, textLine: Int? = nil) {
        self.family = family
        self.source = source
        self.line = line
        self.textLine = textLine
    }

    /// The inline text, or nil for a tarball definition.
    public var inlineText: String? {
        if case .inline(let text) = source { return text }
        return nil
    }

    public var location: String? {
        if case .location(let location) = source { return location }
        return nil
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.family == rhs.family && lhs.source == rhs.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(family) }
}
