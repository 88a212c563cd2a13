import Foundation

/// The dashboard's sign-ins, in memory: a random session id (the cookie) maps to the user's
/// token digest, a CSRF token and an expiry. A restart signs everyone out, which is the safe way
/// round; the API token itself never reaches the browser's scripts.
actor WebSessions {
    struct Session: Sendable {
        let id: String
        let tokenDigest: String
        let csrf: String
        let expires: ContinuousClock.Instant
    }

    enum Lookup: Sendable {
        case valid(Session)
        case expired
        case unknown
    }

    static let cookieName = "gssa_session"

    let configuration: WebConfiguration
    private var sessions: [String: Session] = [:]

    init(configuration: WebConfiguration) { self.configuration = configuration }

    func create(tokenDigest: String) -> Session {
        if sessions.count >= configuration.maximumSessions { prune() }
        let session = Session(
            id: Self.random(), tokenDigest: tokenDigest, csrf: Self.random(),
            expires: .now + configuration.sessionLifetime)
        sessions[session.id] = session
        return session
    }

    func lookup(_ id: String) -> Lookup {
        guard let session = sessions[id] else { return .unknown }
        guard session.expires > .now else { return .expired }
        return .valid(session)
    }

    func remove(_ id: String) { sessions.removeValue(forKey: id) }

    /// Drops the expired sessions, then (still full) the ones that expire first.
    private func prune() {
        let now = ContinuousClock.now
        sessions = sessions.filter { $0.value.expires > now }
        let excess = sessions.count - configuration.maximumSessions + 1
        if excess > 0 {
            for session in sessions.values.sorted(by: { $0.expires < $1.expires }).prefix(excess) {
                sessions.removeValue(forKey: session.id)
            }
        }
    }

    /// 32 random bytes, hex.
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// The session id in a `Cookie` header, if any (well-formed: 64 hex digits).
    static func cookie(in header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            guard pair.hasPrefix(cookieName + "=") else { continue }
            let value = String(pair.dropFirst(cookieName.count + 1))
            guard value.count == 64, value.allSatisfy(\.isHexDigit) else { return nil }
            return value
        }
        return nil
    }
}
