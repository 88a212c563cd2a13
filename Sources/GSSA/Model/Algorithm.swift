/// An `<algorithm result="…">`: a small user function (MATC, Python…) a solver evaluates.
public struct Algorithm: Sendable, Hashable {
    /// The parameter this algorithm computes, e.g. `CONSTANT_PERFUSION`.
    public var result: String
    /// Argument names, in order.
    public var arguments: [String]
    public var content: String
    public var line: Int?

    public init(result: String, arguments: [String], content: String, line: Int? = nil) {
        self.result = result
        self.arguments = arguments
        self.content = content
        self.line = line
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.result == rhs.result && lhs.arguments == rhs.arguments && lhs.content == rhs.content
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(result)
        hasher.combine(content)
    }
}
