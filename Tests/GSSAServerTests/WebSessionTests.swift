import AsyncHTTPClient
import Foundation
import GSSAServer
import GSSAServerTesting
import NIOCore
import NIOHTTP1
import Testing

/// The web dashboard's security rules over real HTTP (docs/web.md): no cookie is a redirect to
/// the sign-in, a state change without the CSRF token (or from another origin) is refused, the
/// session ends at sign-out and when it expires, a wrong token gets a clear message, isolation
/// is the API's, and bearer-token clients are untouched.
@Suite struct WebSessionTests {
    struct Reply {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: String
    }

    /// A client that does not follow redirects (the redirects are what is tested).
    static func withClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try await client.shutdown()
            throw error
        }
    }

    static func send(
        _ client: HTTPClient, _ server: TestServer, _ method: HTTPMethod, _ path: String, cookie: String? = nil,
        headers: [(String, String)] = [], body: String? = nil, contentType: String = "application/x-www-form-urlencoded"
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: server.base + path)
        request.method = method
        if let cookie { request.headers.add(name: "Cookie", value: "gssa_session=\(cookie)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 1 << 22)
        return Reply(status: response.status, headers: response.headers, body: String(buffer: bytes))
    }

    /// Signs in through the form; answers the session id from `Set-Cookie`.
    static func signIn(_ client: HTTPClient, _ server: TestServer, token: String) async throws -> (id: String, setCookie: String) {
        let reply = try await send(client, server, .POST, "/signin", body: "token=\(token)&next=%2Fruns")
        #expect(reply.status == .seeOther, "\(reply.body)")
        #expect(reply.headers.first(name: "Location") == "/runs")
        let setCookie = reply.headers.first(name: "Set-Cookie") ?? ""
        let value = setCookie.split(separator: ";").first.map { String($0.dropFirst("gssa_session=".count)) } ?? ""
        try #require(value.count == 64, "Set-Cookie: \(setCookie)")
        return (value, setCookie)
    }

    static func csrf(in html: String) -> String? {
        guard let range = html.range(of: #"<meta name="csrf-token" content=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test func withoutCookiePagesRedirectToSignInAndWrongTokenIsExplained() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            try await Self.withClient { client in
                for path in ["/runs", "/runs/ABC", "/submit", "/admin"] {
                    let reply = try await Self.send(client, server, .GET, path)
                    #expect(reply.status == .seeOther, "\(path)")
                    #expect(reply.headers.first(name: "Location")?.hasPrefix("/signin") == true, "\(path)")
                }
                #expect(try await Self.send(client, server, .GET, "/").headers.first(name: "Location") == "/signin")
                let api = try await Self.send(client, server, .GET, "/web/api/runs")
                #expect(api.status == .unauthorized && api.body.contains("sign in"))
                let form = try await Self.send(client, server, .GET, "/signin")
                #expect(form.status == .ok && form.body.contains(#"name="token""#))
                let wrong = try await Self.send(client, server, .POST, "/signin", body: "token=gssa_wrong")
                #expect(wrong.status == .unauthorized)
                #expect(wrong.body.contains("That token is not valid"))
                #expect(wrong.headers.first(name: "Set-Cookie") == nil)
                let empty = try await Self.send(client, server, .POST, "/signin", body: "token=")
                #expect(empty.status == .badRequest && empty.body.contains("Enter your API token"))
                // A made-up cookie is no sign-in, and the bearer API is unchanged.
                let forged = try await Self.send(client, server, .GET, "/api/v1/simulations", cookie: String(repeating: "a", count: 64))
                #expect(forged.status == .unauthorized)
                let bearer = try await server.request(.GET, "/api/v1/simulations", token: server.alice)
                #expect(bearer.status == .ok)
                #expect(try await server.request(.GET, "/api/v1/simulations", token: nil).status == .unauthorized)
            }
        }
    }

    @Test func cookieSessionNeedsCSRFForChangesIsolatesUsersAndEndsAtSignOut() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            try await Self.withClient { client in
                let xml = try TestServer.fixture("demo.xml")
                try await server.submit(guid: "BOBS-RUN", xml: xml, token: server.bob)
                let (cookie, setCookie) = try await Self.signIn(client, server, token: server.alice)
                #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Max-Age="))
                let page = try await Self.send(client, server, .GET, "/runs", cookie: cookie)
                #expect(page.status == .ok)
                let token = try #require(Self.csrf(in: page.body))
                #expect(token.count == 64)

                // A change without the CSRF token, with a wrong one, or from another origin: refused.
                let path = "/api/v1/simulations/ALICE-RUN/definition"
                let bare = try await Self.send(client, server, .PUT, path, cookie: cookie, body: xml, contentType: "application/xml")
                #expect(bare.status == .forbidden && bare.body.contains("CSRF"))
                let wrong = try await Self.send(client, server, .PUT, path, cookie: cookie, headers: [("X-CSRF-Token", String(repeating: "0", count: 64))],
                                                body: xml, contentType: "application/xml")
                #expect(wrong.status == .forbidden)
                let crossSite = try await Self.send(client, server, .PUT, path, cookie: cookie,
                                                    headers: [("X-CSRF-Token", token), ("Origin", "http://evil.example")], body: xml, contentType: "application/xml")
                #expect(crossSite.status == .forbidden && crossSite.body.contains("cross-site"))
                #expect(try await server.request(.GET, "/api/v1/simulations/ALICE-RUN", token: server.alice).status == .notFound)
                let good = try await Self.send(client, server, .PUT, path, cookie: cookie,
                                               headers: [("X-CSRF-Token", token), ("Origin", server.base)], body: xml, contentType: "application/xml")
                #expect(good.status == .ok, "\(good.body)")

                // Bob's run is invisible through the session, as through alice's token.
                #expect(try await Self.send(client, server, .GET, "/api/v1/simulations/BOBS-RUN", cookie: cookie).status == .notFound)
                #expect(try await Self.send(client, server, .GET, "/web/api/runs/BOBS-RUN/detail", cookie: cookie).status == .notFound)
                let list = try await Self.send(client, server, .GET, "/web/api/runs", cookie: cookie)
                #expect(list.status == .ok && list.body.contains("ALICE-RUN") && !list.body.contains("BOBS-RUN"), "\(list.body)")
                #expect(try await Self.send(client, server, .GET, "/web/api/admin", cookie: cookie).status == .forbidden)

                // The event socket on a cookie only from this server's origin (no cross-site
                // hijacking): refused from another origin, upgraded from its own.
                for (origin, upgraded) in [("http://evil.example", false), (server.base, true)] {
                    let raw = try RawHTTP(port: server.port)
                    defer { raw.close() }
                    try await raw.write("""
                        GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: \(origin)\r\n\
                        Cookie: gssa_session=\(cookie)\r\n\r\n
                        """)
                    let reply = try await raw.response(timeout: 30)
                    #expect((reply.status == 101) == upgraded, "\(origin): \(reply.status)")
                }

                // Sign-out needs the form's token; afterwards the cookie signs nothing in.
                let forgedOut = try await Self.send(client, server, .POST, "/signout", cookie: cookie, body: "csrf=nope")
                #expect(forgedOut.status == .forbidden)
                let out = try await Self.send(client, server, .POST, "/signout", cookie: cookie, body: "csrf=\(token)")
                #expect(out.status == .seeOther && out.headers.first(name: "Location") == "/signin?signedout=1")
                let after = try await Self.send(client, server, .GET, "/runs", cookie: cookie)
                #expect(after.status == .seeOther && after.headers.first(name: "Location")?.hasPrefix("/signin") == true)
                #expect(try await Self.send(client, server, .GET, "/api/v1/simulations", cookie: cookie).status == .unauthorized)
            }
        }
    }

    @Test func runsArePagedAndFilteredOnTheServer() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            try await Self.withClient { client in
                let xml = try TestServer.fixture("demo.xml")
                for index in 0..<7 {
                    let reply = try await server.request(.PUT, "/api/v1/simulations/PAGE-\(index)/definition", token: server.alice,
                                                         body: Data(xml.utf8), contentType: "application/xml")
                    #expect(reply.status == .ok)
                }
                _ = try await server.request(.PUT, "/api/v1/simulations/BOB-1/definition", token: server.bob,
                                             body: Data(xml.utf8), contentType: "application/xml")
                let (cookie, _) = try await Self.signIn(client, server, token: server.alice)
                func page(_ query: String) async throws -> (names: [String], total: Int) {
                    let reply = try await Self.send(client, server, .GET, "/web/api/runs?\(query)", cookie: cookie)
                    #expect(reply.status == .ok, "\(query): \(reply.body)")
                    let object = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any]
                    let runs = (object?["runs"] as? [[String: Any]] ?? []).compactMap { $0["guid"] as? String }
                    return (runs, object?["total"] as? Int ?? -1)
                }
                let first = try await page("size=3")
                #expect(first.total == 7 && first.names == ["PAGE-6", "PAGE-5", "PAGE-4"], "\(first)")
                let last = try await page("size=3&page=3")
                #expect(last.total == 7 && last.names == ["PAGE-0"], "\(last)")
                #expect(try await page("q=page-3").names == ["PAGE-3"])
                #expect(try await page("q=%25").total == 0)  // LIKE wildcards are matched literally
                #expect(try await page("q=BOB").total == 0)  // bob's run is not alice's to find
                #expect(try await page("owner=bob").total == 0)
                #expect(try await page("state=created&family=python-demo").total == 7)
                #expect(try await page("state=running").total == 0)
                #expect(try await page("to=2000-01-01").total == 0)
                #expect(try await page("from=2000-01-01").total == 7)
                let bad = try await Self.send(client, server, .GET, "/web/api/runs?size=100000", cookie: cookie)
                #expect(bad.status == .badRequest && bad.body.contains("size must be"))
                let badDate = try await Self.send(client, server, .GET, "/web/api/runs?from=yesterday", cookie: cookie)
                #expect(badDate.status == .badRequest && badDate.body.contains("from must be a date"))
            }
        }
    }

    @Test func runDetailAndStaticAssets() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            try await Self.withClient { client in
                let xml = try TestServer.fixture("demo.xml")
                _ = try await server.request(.PUT, "/api/v1/simulations/DETAIL-1/definition", token: server.alice,
                                             body: Data(xml.utf8), contentType: "application/xml")
                let directory = URL(fileURLWithPath: try await server.summary("DETAIL-1", token: server.alice).directory)
                let report = #"{"tetrahedra": 1234, "minimum_dihedral": 2.5, "warnings": ["minimum dihedral 2.5 below 5"]}"#
                try Data(report.utf8).write(to: directory.appendingPathComponent("mesh_report.json"))
                try FileManager.default.createDirectory(at: directory.appendingPathComponent("output/plots"), withIntermediateDirectories: true)
                let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3])
                try png.write(to: directory.appendingPathComponent("output/plots/preview.png"))

                let (cookie, _) = try await Self.signIn(client, server, token: server.alice)
                let detail = try await Self.send(client, server, .GET, "/web/api/runs/DETAIL/detail", cookie: cookie)  // a unique prefix
                #expect(detail.status == .ok, "\(detail.body)")
                let object = try #require(try JSONSerialization.jsonObject(with: Data(detail.body.utf8)) as? [String: Any])
                #expect((object["definition"] as? String)?.contains("python-demo") == true)
                #expect((object["mesh_report"] as? String)?.contains("1234") == true)
                #expect(object["preview"] as? Bool == true)
                #expect(((object["summary"] as? [String: Any])?["guid"] as? String) == "DETAIL-1")
                let image = try await Self.send(client, server, .GET, "/web/api/runs/DETAIL-1/preview", cookie: cookie)
                #expect(image.status == .ok && image.headers.first(name: "Content-Type") == "image/png")
                let bobs = try await Self.send(client, server, .GET, "/web/api/runs/DETAIL-1/preview", cookie: try await Self.signIn(client, server, token: server.bob).id)
                #expect(bobs.status == .notFound)

                let script = try await Self.send(client, server, .GET, "/static/app.js")
                #expect(script.status == .ok && script.headers.first(name: "Content-Type")?.hasPrefix("text/javascript") == true)
                let etag = try #require(script.headers.first(name: "ETag"))
                #expect(try await Self.send(client, server, .GET, "/static/app.js", headers: [("If-None-Match", etag)]).status == .notModified)
                for path in ["/static/..%2Fshell.html", "/static/.hidden.js", "/static/nothing.js", "/static/signin.exe"] {
                    #expect(try await Self.send(client, server, .GET, path).status == .notFound, "\(path)")
                }
                let page = try await Self.send(client, server, .GET, "/runs/DETAIL-1", cookie: cookie)
                #expect(page.headers.first(name: "Content-Security-Policy")?.contains("script-src 'self'") == true)
                #expect(page.headers.first(name: "Cache-Control") == "no-store")
                // Only a dashboard path may follow the sign-in: no open redirect.
                let away = try await Self.send(client, server, .POST, "/signin", body: "token=\(server.alice)&next=%2F%2Fevil.example%2Fruns")
                #expect(away.headers.first(name: "Location") == "/runs")
            }
        }
    }

    @Test func sessionExpires() async throws {
        let lifetime = 3.0
        try await TestServer.withServer(launcher: InMemoryLauncher(), web: WebConfiguration(sessionLifetime: .seconds(lifetime))) { server in
            try await Self.withClient { client in
                let began = ContinuousClock.now
                let (cookie, setCookie) = try await Self.signIn(client, server, token: server.alice)
                #expect(setCookie.contains("Max-Age=3"))
                let first = try await Self.send(client, server, .GET, "/web/api/me", cookie: cookie)
                if ContinuousClock.now - began < .seconds(lifetime) { #expect(first.status == .ok, "\(first.body)") }
                // Waits on the condition (bounded), not on a guessed sleep.
                let expired = try await eventually(60) {
                    let reply = try await Self.send(client, server, .GET, "/runs", cookie: cookie)
                    return reply.status == .seeOther && reply.headers.first(name: "Location")?.hasPrefix("/signin?expired=1") == true
                }
                #expect(expired)
                #expect(ContinuousClock.now - began >= .seconds(lifetime))
                let api = try await Self.send(client, server, .GET, "/web/api/me", cookie: cookie)
                #expect(api.status == .unauthorized && api.body.contains("sign in"))
                let form = try await Self.send(client, server, .GET, "/signin?expired=1")
                #expect(form.body.contains("Your session has expired"))
            }
        }
    }
}
