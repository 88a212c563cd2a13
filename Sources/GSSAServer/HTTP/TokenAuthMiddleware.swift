import Foundation
import GSSA
import Hummingbird

/// Authenticates every request except `GET /api/v1/api` and `/metrics`.
///
/// The token comes from `Authorization: Bearer …` (or `?token=` for WebSocket clients that
/// cannot set headers). Missing or unknown tokens get 401, the fix for the original's open
/// router (bug 14).
struct TokenAuthMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    let store: any SimulationStore
    let cache = UserCache()

    static let openPaths: Set<String> = ["/api/v1/api", "/metrics"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.openPaths.contains(request.uri.path) { return try await next(request, context) }
        // Signed in by WebSessionMiddleware's cookie, or a dashboard path it guards itself.
        if context.user != nil || WebPaths.isWeb(request.uri.path) { return try await next(request, context) }
        var token: String?
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        } else if let query = request.uri.queryParameters.get("token") {
            token = query
        }
        guard let token, !token.isEmpty else {
            throw APIFailure(.unauthorized, .client("missing API token: send 'Authorization: Bearer <token>'"))
        }
        let digest = APIToken.digest(token)
        var user = await cache.user(digest)
        if user == nil {
            user = try await store.user(tokenDigest: digest)
            if let user { await cache.store(user, digest) }
        }
        guard let user else { throw APIFailure(.unauthorized, .client("invalid API token")) }
        var context = context
        context.user = user
        return try await next(request, context)
    }
}

/// Users by token digest, so authentication does not hit SQLite on every request.
///
/// Entries live ``lifetime`` only: a token replaced or a user removed by `gssa users` (which
/// writes the database directly) stops working within that time, without a restart.
actor UserCache {
    static let lifetime: Duration = .seconds(2)
    private var users: [String: (user: UserRecord, until: ContinuousClock.Instant)] = [:]
    func user(_ digest: String) -> UserRecord? {
        guard let entry = users[digest] else { return nil }
        guard entry.until > .now else {
            users.removeValue(forKey: digest)
            return nil
        }
        return entry.user
    }
    func store(_ user: UserRecord, _ digest: String) {
        if users.count > 10_000 { users = users.filter { $0.value.until > .now } }
        users[digest] = (user, .now + Self.lifetime)
    }
}
