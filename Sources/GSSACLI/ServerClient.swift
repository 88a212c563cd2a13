import AsyncHTTPClient
import ArgumentParser
import Foundation
import GSSA
import GSSAAPI
import NIOCore
import NIOHTTP1
import NIOFoundationEssentialsCompat

/// Options of every client command: where the server is and who we are.
///
/// The token comes from `GSSA_TOKEN`, else from the config file (`$GSSA_CONFIG`, default
/// `~/.config/gssa/client.conf`) with lines `server: URL` and `token: TOKEN`.
struct ClientOptions: ParsableArguments {
    @Option(help: "Server URL (default $GSSA_SERVER, the config file, or http://127.0.0.1:8080).")
    var server: String?
    @Option(help: "Client config file with 'server:' and 'token:' lines (default $GSSA_CONFIG or ~/.config/gssa/client.conf).")
    var config: String?

    func client() throws -> ServerClient {
        let environment = ProcessInfo.processInfo.environment
        let path = config ?? environment["GSSA_CONFIG"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config/gssa/client.conf").path
        var file: [String: String] = [:]
        if let data = FileManager.default.contents(atPath: path) {
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":"), !line.hasPrefix("#") else { continue }
                file[line[..<colon].trimmingCharacters(in: .whitespaces)] =
                    line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        } else if config != nil {
            throw GSSAError.client("config file not found: \(path)")
        }
        let url = server ?? environment["GSSA_SERVER"] ?? file["server"] ?? "http://127.0.0.1:8080"
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw GSSAError.client("--server must be an http:// or https:// URL, not '\(url)'")
        }
        let token = environment["GSSA_TOKEN"] ?? file["token"]
        return ServerClient(base: url.hasSuffix("/") ? String(url.dropLast()) : url, token: token)
    }
}

/// A small client of the server's HTTP API; non-2xx answers become the server's `GSSAError`.
struct ServerClient: Sendable {
    let base: String
    let token: String?
    var timeout: TimeAmount = .seconds(120)

    /// The process's one HTTP client. Unlike `HTTPClient.shared`, a refused or unreachable
    /// connection fails the request at once (no re-dial until the request's deadline, which
    /// made `gssa search` against a closed port take about 90 s), and a connect is bounded.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// A short reason for a transport error ("connection refused", "connect timed out").
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectTimeout") { return "connect timed out after 10 s" }
        if text.contains("Connection refused") || text.contains("connection refused") || text.contains("ECONNREFUSED") {
            return "connection refused"
        }
        return text
    }

    func send(_ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String = "application/json") async throws -> ByteBuffer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await Self.http.execute(request, timeout: timeout)
            bytes = try await response.body.collect(upTo: 1 << 30)
        } catch {
            throw GSSAError.server("cannot reach the gssa server at \(base): \(Self.describe(error)) (is `gssa server` running there? --server or $GSSA_SERVER)")
        }
        guard (200..<300).contains(response.status.code) else {
            if let failure = try? JSONDecoder().decode(API.ErrorBody.self, from: Data(buffer: bytes)) {
                var error = failure.error
                if response.status == .unauthorized { error.reason = "unauthorized (HTTP 401): " + error.reason }
                throw error
            }
            throw GSSAError.server("\(method.rawValue) \(path): HTTP \(response.status.code) \(response.status.reasonPhrase)")
        }
        return bytes
    }

    func json<T: Decodable>(_ type: T.Type, _ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String = "application/json") async throws -> T {
        let bytes = try await send(method, path, body: body, contentType: contentType)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: bytes))
        } catch {
            throw GSSAError.server("unexpected answer to \(method.rawValue) \(path): \(error)")
        }
    }

    func json<T: Decodable, B: Encodable>(_ type: T.Type, _ method: HTTPMethod, _ path: String, encoding body: B) async throws -> T {
        try await json(type, method, path, body: try JSONEncoder().encode(body))
    }

    /// `/api/v1/simulations/<guid>` with the GUID percent-safe (GUIDs are [A-Za-z0-9_-]).
    static func runPath(_ guid: String, _ action: String = "") -> String {
        "/api/v1/simulations/\(guid.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_"))) ?? guid)" + (action.isEmpty ? "" : "/\(action)")
    }

    /// The WebSocket URL of the event stream.
    var eventsURL: String {
        let ws = base.replacingOccurrences(of: "https://", with: "wss://").replacingOccurrences(of: "http://", with: "ws://")
        return ws + "/api/v1/events" + (token.map { "?token=\($0)" } ?? "")
    }
}
