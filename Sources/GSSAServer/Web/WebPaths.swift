/// Which paths belong to the web dashboard rather than the token API.
enum WebPaths {
    static let pages: Set<String> = ["/", "/runs", "/submit", "/admin"]

    /// Pages that need a sign-in: without one the browser is sent to `/signin`.
    static func isPage(_ path: String) -> Bool {
        pages.contains(path) || (path.hasPrefix("/runs/") && path.count > 6)
    }

    /// Answered without a sign-in: the form and the static assets.
    static func isPublic(_ path: String) -> Bool {
        path == "/signin" || path.hasPrefix("/static/")
    }

    /// The dashboard's JSON (session only; the token API lives under `/api/v1`).
    static func isWebAPI(_ path: String) -> Bool { path.hasPrefix("/web/api/") }

    /// Every dashboard path; ``TokenAuthMiddleware`` leaves these to ``WebSessionMiddleware``.
    static func isWeb(_ path: String) -> Bool {
        isPage(path) || isPublic(path) || isWebAPI(path) || path == "/signout"
    }
}
