import Foundation
import GSSA
import Hummingbird

/// Signs browser requests in from the session cookie, and guards them.
///
/// A request that carries `Authorization` or `?token=` is an API client's: it passes untouched
/// to ``TokenAuthMiddleware``, so bearer clients work exactly as before. A request with a valid
/// session cookie gets its user set here; if it changes state (any method but GET/HEAD) it must
/// carry the session's CSRF token in `X-CSRF-Token` and, when the browser sends `Origin`, come
/// from this server's own origin. A WebSocket upgrade on a cookie must come from the same
/// origin too. Pages without a sign-in redirect to `/signin`; the dashboard's JSON answers 401.
struct WebSessionMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    let sessions: WebSessions
    let store: any SimulationStore
    let cache = UserCache()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if request.headers[.authorization] != nil || request.uri.queryParameters.get("token") != nil {
            return try await next(request, context)
        }
        if WebPaths.isPublic(path) { return try await next(request, context) }
        var expired = false
        var context = context
        if let id = WebSessions.cookie(in: request.headers[.cookie]) {
            switch await sessions.lookup(id) {
            case .valid(let session):
                if let user = try await user(session.tokenDigest) {
                    context.user = user
                    try Self.guardRequest(request, session: session)
                } else {
                    // The user was removed or their token replaced: the sign-in ends with it.
                    await sessions.remove(id)
                    expired = true
                }
            case .expired:
                await sessions.remove(id)
                expired = true
            case .unknown:
                expired = true
            }
        }
        if context.user == nil {
            if WebPaths.isPage(path) || path == "/signout" {
                var target = "/signin"
                if expired { target += "?expired=1" }
                if WebPaths.isPage(path) && path != "/" {
                    target += (expired ? "&" : "?") + "next=" + (path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
                }
                return Response(status: .seeOther, headers: [.location: target, .cacheControl: "no-store"])
            }
            if WebPaths.isWebAPI(path) {
                throw APIFailure(.unauthorized, .client(
                    expired ? "your sign-in has expired: sign in again at /signin" : "not signed in: sign in at /signin"))
            }
        }
        return try await next(request, context)
    }

    private func user(_ digest: String) async throws -> UserRecord? {
        if let user = await cache.user(digest) { return user }
        guard let user = try await store.user(tokenDigest: digest) else { return nil }
        await cache.store(user, digest)
        return user
    }

    /// CSRF and origin rules for a cookie-authenticated request.
    static func guardRequest(_ request: Request, session: WebSessions.Session) throws {
        let safe = request.method == .get || request.method == .head
        if !sameOrigin(request) {
            throw APIFailure(.forbidden, .client("cross-site request refused: the Origin does not match this server"))
        }
        // The sign-out form carries its token in the body; its handler checks it.
        if !safe && request.uri.path != "/signout" {
            guard let sent = request.headers[.init("X-CSRF-Token")!], constantTimeEqual(sent, session.csrf) else {
                throw APIFailure(.forbidden, .client("missing or wrong CSRF token: reload the page and try again"))
            }
        }
    }

    /// True unless the browser names another origin (`Origin` is sent on every cross-site
    /// POST and every WebSocket upgrade).
    static func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        guard let host = request.head.authority else { return false }
        for scheme in ["http://", "https://"] where origin.hasPrefix(scheme) {
            return origin.dropFirst(scheme.count).lowercased() == host.lowercased()
        }
        return false
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
