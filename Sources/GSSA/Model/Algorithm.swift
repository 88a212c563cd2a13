/// An `<algorithm result="…">`: a small user function (MATC, Python…) a solver evaluates.
public struct Algorithm: Sendable, Hashable {
    /// The parameter this algorithm computes, e.g. `CONSTANT_PERFUSION`.
    public var result: String
    /// Argument names, in order.
    public var arguments: [String]
    /// The function's source text, the element's content.
    public var content: String
    /// Line of the element in the source document, for error messages; not part of equality.
    public var line: Int?

    /// Creates an algorithm.
    public init(result: String, arguments: [String], content: String, line: Int? = nil) {
        self.result = result
        self.arguments = arguments
        self.content = content
        self.line = line
    }

    /// Equal when result, arguments and content are equal.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.result == rhs.result && lhs.arguments == rhs.arguments && lhs.content == rhs.content
    }

    /// Hashes the result and content, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(result)
        hasher.combine(content)
    }
}
