/// The `<definition family="…">`: which family runs the model, and the model itself.
public struct ModelDefinition: Sendable, Hashable {
    /// Where the model comes from: an archive or the element's own text.
    public enum Source: Sendable, Hashable {
        /// A `.tar.gz` holding `start.py` and friends, fetched through the transferrer.
        case location(String)
        /// Inline text: a start script, optionally preceded by a declared-parameters header.
        case inline(String)
    }

    /// The family that runs the model (`family`).
    public var family: String
    /// The model: an archive location or inline text.
    public var source: Source
    /// Line of the element in the source document, for error messages; not part of equality.
    public var line: Int?
    /// The line of the XML file on which inline text begins (after blank lines are dropped).
    public var textLine: Int?

    /// Creates a definition element.
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

    /// The archive location (`location`), or nil for inline text.
    public var location: String? {
        if case .location(let location) = source { return location }
        return nil
    }

    /// Equal when family and source are equal; line numbers do not count.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.family == rhs.family && lhs.source == rhs.source }
    /// Hashes the family, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(family) }
}
