import Foundation
import GSSA
import Hummingbird
import Logging
import NIOCore

/// The dashboard's routes: the sign-in form, sign-out, the page shell, the static assets and a
/// few JSON views the token API has no shape for (a page of runs with a total, a run's
/// definition and mesh report, the admin overview). Everything else the pages do goes through
/// `/api/v1` with the session cookie, under the same per-user rules as any API client.
enum WebRoutes {
    static func add(to router: Router<ServerRequestContext>, manager: SimulationManager, store: any SimulationStore, sessions: WebSessions) {
        let assets = WebAssets.load()

        router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/runs"]) }

        router.get("signin") { request, _ in
            let query = request.uri.queryParameters
            var message = ""
            if query.get("expired") == "1" { message = "Your session has expired. Sign in again with your API token." }
            if query.get("signedout") == "1" { message = "You are signed out." }
            return try signinPage(assets, message: message, next: query.get("next") ?? "", status: .ok)
        }

        router.post("signin") { request, context in
            guard WebSessionMiddleware.sameOrigin(request) else {
                return try signinPage(assets, message: "Sign-in refused: the form was sent from another site.", next: "", status: .forbidden)
            }
            let form = try await formFields(request)
            let next = safeNext(form["next"] ?? "")
            let token = (form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else {
                return try signinPage(assets, message: "Enter your API token (it starts with gssa_).", next: next, status: .badRequest)
            }
            guard token.utf8.count <= 256, let user = try await store.user(tokenDigest: APIToken.digest(token)) else {
                return try signinPage(assets, message: """
                    That token is not valid: it may be mistyped or replaced. An administrator can issue a new one \
                    with 'gssa users token NAME'.
                    """, next: next, status: .unauthorized)
            }
            let session = await sessions.create(tokenDigest: user.tokenDigest)
            let seconds = sessions.configuration.sessionLifetime.components.seconds
            context.logger.info("web sign-in", metadata: ["user": "\(user.name)"])
            return Response(status: .seeOther, headers: [
                .location: next.isEmpty ? "/runs" : next, .cacheControl: "no-store",
                .setCookie: "\(WebSessions.cookieName)=\(session.id); Path=/; Max-Age=\(max(1, seconds)); HttpOnly; SameSite=Strict",
            ])
        }

        router.post("signout") { request, _ in
            let form = try await formFields(request)
            if let id = WebSessions.cookie(in: request.headers[.cookie]), case .valid(let session) = await sessions.lookup(id) {
                guard WebSessionMiddleware.constantTimeEqual(form["csrf"] ?? "", session.csrf) else {
                    throw APIFailure(.forbidden, .client("missing or wrong CSRF token: reload the page and sign out again"))
                }
                await sessions.remove(id)
            }
            return Response(status: .seeOther, headers: [
                .location: "/signin?signedout=1", .cacheControl: "no-store",
                .setCookie: "\(WebSessions.cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict",
            ])
        }

        for page in ["runs", "runs/:guid", "submit", "admin"] {
            router.get(RouterPath(stringLiteral: page)) { request, context in
                let user = try context.requireUser()
                guard let id = WebSessions.cookie(in: request.headers[.cookie]), case .valid(let session) = await sessions.lookup(id),
                    let shell = assets.text("shell.html")
                else { throw missingAssets(assets) }
                let html = shell.replacingOccurrences(of: "{{csrf}}", with: session.csrf)
                    .replacingOccurrences(of: "{{user}}", with: escape(user.name))
                    .replacingOccurrences(of: "{{admin}}", with: user.admin ? "true" : "false")
                return htmlResponse(html, status: .ok)
            }
        }

        router.get("static/:name") { request, context in
            let name = try context.parameters.require("name")
            guard WebAssets.isServable(name), let asset = assets.files[name] else {
                if assets.files.isEmpty { throw missingAssets(assets) }
                throw APIFailure(.notFound, .client("no such file: /static/\(name.prefix(64))"))
            }
            if request.headers[.ifNoneMatch] == asset.etag {
                return Response(status: .notModified, headers: [.eTag: asset.etag])
            }
            return Response(
                status: .ok,
                headers: [.contentType: asset.contentType, .eTag: asset.etag, .cacheControl: "no-cache"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: asset.bytes)))
        }

        WebViews.add(to: router, manager: manager, store: store, sessions: sessions)
    }

    static func missingAssets(_ assets: WebAssets) -> APIFailure {
        APIFailure(.server, .server(
            "the web dashboard's files are missing (looked in \(assets.searched.joined(separator: ", "))): install "
                + "\(WebAssets.bundleName) next to the gssa binary or set GSSA_WEB_ASSETS"))
    }

    static func signinPage(_ assets: WebAssets, message: String, next: String, status: HTTPResponse.Status) throws -> Response {
        guard let page = assets.text("signin.html") else { throw missingAssets(assets) }
        let html = page.replacingOccurrences(of: "{{message}}", with: escape(message))
            .replacingOccurrences(of: "{{hidden}}", with: message.isEmpty ? "hidden" : "")
            .replacingOccurrences(of: "{{next}}", with: escape(safeNext(next)))
        return htmlResponse(html, status: status)
    }

    static func htmlResponse(_ html: String, status: HTTPResponse.Status) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
                .init("X-Content-Type-Options")!: "nosniff",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// Only a local path may follow the sign-in (no `//host` or `https://…`: no open redirect).
    static func safeNext(_ next: String) -> String {
        guard next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), next.count <= 200,
            WebPaths.isPage(next.split(separator: "?").first.map(String.init) ?? "")
        else { return "" }
        return next
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// An `application/x-www-form-urlencoded` body (at most 8 KiB).
    static func formFields(_ request: Request) async throws -> [String: String] {
        let body = try await RequestBody.collect(request, limit: 8192, what: "the form", hint: " (a fixed maximum)")
        var fields: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            guard let key = parts.first else { continue }
            fields[decode(key)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
