/// How the web dashboard keeps its sign-ins (docs/web.md).
public struct WebConfiguration: Sendable {
    /// How long a sign-in lasts; after it the browser is sent back to the sign-in page.
    public var sessionLifetime: Duration
    /// The most sign-ins kept at once; beyond it the oldest go first (a flood of sign-ins
    /// cannot grow memory without a bound).
    public var maximumSessions: Int

    public init(sessionLifetime: Duration = .seconds(8 * 3600), maximumSessions: Int = 10_000) {
        self.sessionLifetime = sessionLifetime
        self.maximumSessions = maximumSessions
    }
}
