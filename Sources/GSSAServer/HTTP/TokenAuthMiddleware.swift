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
actor UserCache {
    private var users: [String: UserRecord] = [:]
    func user(_ digest: String) -> UserRecord? { users[digest] }
    func store(_ user: UserRecord, _ digest: String) { users[digest] = user }
}
