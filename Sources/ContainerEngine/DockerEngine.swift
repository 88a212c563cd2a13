import AsyncHTTPClient
import Foundation
import GSSACore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// ``ContainerEngine`` over the Docker Engine API on a Unix socket.
///
/// The socket comes from `DOCKER_HOST` (`unix:///path`) or `/var/run/docker.sock`. The API
/// version is negotiated once at ``connect(socketPath:logger:)``: the engine's own version,
/// capped at ``maximumAPIVersion`` (the newest shape we rely on) and refused below
/// ``minimumAPIVersion`` (bookworm's docker.io 20.10 serves 1.41).
public final class DockerEngine: ContainerEngine {
    public static let minimumAPIVersion = APIVersion(1, 41)
    public static let maximumAPIVersion = APIVersion(1, 47)

    public let socketPath: String
    public let apiVersion: APIVersion
    let http: HTTPClient
    let logger: Logger
    private let base: String

    private init(socketPath: String, apiVersion: APIVersion, http: HTTPClient, logger: Logger) {
        self.socketPath = socketPath
        self.apiVersion = apiVersion
        self.http = http
        self.logger = logger
        self.base =
            "http+unix://" + (socketPath.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socketPath)
    }

    /// The engine socket named by the environment.
    public static func defaultSocketPath(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> String
    {
        guard let host = environment["DOCKER_HOST"], !host.isEmpty else { return "/var/run/docker.sock" }
        guard host.hasPrefix("unix://") else {
            throw GSSAError.server("DOCKER_HOST '\(host)' is not a unix:// socket; only local engines are supported")
        }
        return String(host.dropFirst("unix://".count))
    }

    /// Connects and negotiates the API version. Call ``shutdown()`` when done.
    public static func connect(socketPath: String? = nil, logger: Logger = Logger(label: "gssa.docker")) async throws
        -> DockerEngine
    {
        let path = try socketPath ?? defaultSocketPath()
        // Each supervised run holds a streaming log request open, so the per-host pool must
        // comfortably exceed the container cap (AHC's default is 8).
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: .seconds(10)),
            connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 512))
        configuration.decompression = .disabled
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let probe = DockerEngine(socketPath: path, apiVersion: maximumAPIVersion, http: http, logger: logger)
            let version = try await probe.rawVersion()
            guard let server = APIVersion(version.apiVersion) else {
                throw GSSAError.server("Docker engine at \(path) reported API version '\(version.apiVersion)'")
            }
            guard server >= minimumAPIVersion else {
                throw GSSAError.server(
                    "Docker engine at \(path) speaks API \(server); gssa needs at least \(minimumAPIVersion)")
            }
            let chosen = min(server, maximumAPIVersion)
            return DockerEngine(socketPath: path, apiVersion: chosen, http: http, logger: logger)
        } catch {
            try? await http.shutdown()
            throw GSSAError.wrapping(error)
        }
    }

    public func shutdown() async {
        try? await self.http.shutdown()
    }

    // MARK: ContainerEngine

    public func info() async throws -> EngineInfo {
        let version = try await self.rawVersion()
        return EngineInfo(version: version.version, apiVersion: self.apiVersion.description)
    }

    /// The engine host's clock (`SystemTime` of `/info`), for `gssa admin doctor`'s skew check:
    /// container timestamps and the server's records disagree when the two clocks do.
    public func systemTime() async throws -> Date? {
        let (status, body) = try await self.send(.GET, "/info")
        try Self.check(status, body, "query engine info")
        struct Info: Decodable { var SystemTime: String? }
        guard let text = try Self.decode(Info.self, body, "engine info").SystemTime else { return nil }
        // RFC 3339 with up to nanoseconds and an offset; Foundation parses at most milliseconds.
        var trimmed = text
        if let dot = text.firstIndex(of: "."), let end = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            let fraction = text[text.index(after: dot)..<end].prefix(3)
            trimmed = String(text[..<dot]) + "." + fraction.padding(toLength: 3, withPad: "0", startingAt: 0) + String(text[end...])
        }
        if let date = try? Date(trimmed, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        return try? Date(trimmed, strategy: Date.ISO8601FormatStyle())
    }

    public func inspectImage(_ reference: String) async throws -> ImageInfo? {
        let (status, body) = try await self.send(.GET, "/images/\(Self.escape(reference))/json")
        if status == .notFound { return nil }
        try Self.check(status, body, "inspect image \(reference)")
        struct Image: Decodable {
            struct Config: Decodable {
                var User: String?
                var Labels: [String: String]?
                var Env: [String]?
            }
            var Id: String
            var Config: Config?
        }
        let image = try Self.decode(Image.self, body, "inspect image \(reference)")
        return ImageInfo(
            id: image.Id, user: image.Config?.User ?? "", labels: image.Config?.Labels ?? [:],
            environment: image.Config?.Env ?? [])
    }

    public func createContainer(_ spec: ContainerSpec, name: String?) async throws -> String {
        var host: [String: JSONAny] = [
            "NetworkMode": "none",
            "Binds": .array([]),
            "Init": .bool(spec.initProcess),
            "SecurityOpt": .array(["no-new-privileges"]),
            "CapDrop": .array(["ALL"]),
            "LogConfig": .object(["Type": "json-file", "Config": .object(["max-size": "20m", "max-file": "2"])]),
        ]
        if let memory = spec.memoryBytes {
            host["Memory"] = .int(memory)
            host["MemorySwap"] = .int(memory)  // no swap: the limit is the limit
        }
        if let cpus = spec.nanoCPUs { host["NanoCpus"] = .int(cpus) }
        if let pids = spec.pidsLimit { host["PidsLimit"] = .int(pids) }
        let body: JSONAny = .object([
            "Image": .string(spec.image),
            "Cmd": .array(spec.command.map(JSONAny.string)),
            "Env": .array(spec.environment.sorted { $0.key < $1.key }.map { .string("\($0.key)=\($0.value)") }),
            "Labels": .object(spec.labels.mapValues(JSONAny.string)),
            "User": .string(spec.user),
            "NetworkDisabled": .bool(true),
            "AttachStdout": .bool(false),
            "AttachStderr": .bool(false),
            "Tty": .bool(false),
            "HostConfig": .object(host),
        ])
        var query: [(String, String)] = []
        if let name { query.append(("name", name)) }
        let (status, response) = try await self.send(.POST, "/containers/create", query: query, json: body)
        try Self.check(status, response, "create container from \(spec.image)")
        struct Created: Decodable { var Id: String }
        return try Self.decode(Created.self, response, "create container").Id
    }

    public func startContainer(_ id: String) async throws {
        let (status, body) = try await self.send(.POST, "/containers/\(id)/start")
        if status == .notModified { return }
        try Self.check(status, body, "start container \(id.prefix(12))")
    }

    public func waitContainer(_ id: String) async throws -> Int {
        let (status, body) = try await self.send(
            .POST, "/containers/\(id)/wait", query: [("condition", "not-running")], timeout: .hours(24 * 365))
        try Self.check(status, body, "wait for container \(id.prefix(12))")
        struct Waited: Decodable { var StatusCode: Int }
        return try Self.decode(Waited.self, body, "wait for container").StatusCode
    }

    public func logs(_ id: String, follow: Bool, into consume: (LogChunk) async throws -> Void) async throws {
        var request = Self.request(self.url("/containers/\(id)/logs", query: [
            ("follow", follow ? "1" : "0"), ("stdout", "1"), ("stderr", "1"),
        ]))
        request.method = .GET
        let response: HTTPClientResponse
        do {
            response = try await self.http.execute(request, timeout: .hours(24 * 365), logger: self.logger)
            if response.status != .ok {
                let body = try await response.body.collect(upTo: 1 << 20)
                try Self.check(response.status, body, "logs of container \(id.prefix(12))")
            }
        } catch {
            throw GSSAError.wrapping(error)
        }
        var demux = DockerLogDemultiplexer()
        for try await buffer in response.body {
            for chunk in demux.feed(buffer.readableBytesView) { try await consume(chunk) }
        }
    }

    public func killContainer(_ id: String, signal: String) async throws {
        let (status, body) = try await self.send(.POST, "/containers/\(id)/kill", query: [("signal", signal)])
        // 409: not running any more, which is what we wanted.
        if status == .conflict { return }
        try Self.check(status, body, "kill container \(id.prefix(12))")
    }

    public func removeContainer(_ id: String, force: Bool) async throws {
        let (status, body) = try await self.send(
            .DELETE, "/containers/\(id)", query: [("force", force ? "1" : "0"), ("v", "1")])
        if status == .notFound { return }
        try Self.check(status, body, "remove container \(id.prefix(12))")
    }

    public func inspectContainer(_ id: String) async throws -> ContainerInspection? {
        let (status, body) = try await self.send(.GET, "/containers/\(id)/json")
        if status == .notFound { return nil }
        try Self.check(status, body, "inspect container \(id.prefix(12))")
        struct Inspect: Decodable {
            struct State: Decodable {
                var Status: String
                var ExitCode: Int
                var OOMKilled: Bool
                var FinishedAt: String?
            }
            struct Config: Decodable { var Labels: [String: String]? }
            var Id: String
            var Image: String
            var State: State
            var Config: Config?
        }
        let inspect = try Self.decode(Inspect.self, body, "inspect container")
        return ContainerInspection(
            id: inspect.Id, status: .init(rawValue: inspect.State.Status) ?? .dead,
            exitCode: inspect.State.ExitCode, oomKilled: inspect.State.OOMKilled, imageID: inspect.Image,
            labels: inspect.Config?.Labels ?? [:], finishedAt: inspect.State.FinishedAt.flatMap(Self.parseDate))
    }

    public func putArchive(_ id: String, path: String, tar: Data) async throws {
        var request = Self.request(self.url("/containers/\(id)/archive", query: [("path", path)]))
        request.method = .PUT
        request.headers.add(name: "Content-Type", value: "application/x-tar")
        request.body = .bytes(ByteBuffer(bytes: tar))
        let response = try await self.http.execute(request, timeout: .minutes(10), logger: self.logger)
        let body = try await response.body.collect(upTo: 1 << 20)
        try Self.check(response.status, body, "copy files into container \(id.prefix(12)) at \(path)")
    }

    public func getArchive(_ id: String, path: String, to file: URL) async throws -> Bool {
        var request = Self.request(self.url("/containers/\(id)/archive", query: [("path", path)]))
        request.method = .GET
        let response = try await self.http.execute(request, timeout: .minutes(30), logger: self.logger)
        if response.status == .notFound { return false }
        if response.status != .ok {
            let body = try await response.body.collect(upTo: 1 << 20)
            try Self.check(response.status, body, "copy \(path) out of container \(id.prefix(12))")
        }
        guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
            throw GSSAError.server("cannot create \(file.path)")
        }
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        for try await buffer in response.body {
            try handle.write(contentsOf: Data(buffer.readableBytesView))
        }
        return true
    }

    public func streamArchive(
        _ id: String, path: String, into consume: @Sendable ([UInt8]) async throws -> Void
    ) async throws -> Bool {
        var request = Self.request(self.url("/containers/\(id)/archive", query: [("path", path)]))
        request.method = .GET
        let response: HTTPClientResponse
        do {
            response = try await self.http.execute(request, timeout: .hours(24), logger: self.logger)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw GSSAError.server("Docker engine request GET archive \(path) failed: \(error)")
        }
        if response.status == .notFound { return false }
        if response.status != .ok {
            let body = try await response.body.collect(upTo: 1 << 20)
            try Self.check(response.status, body, "copy \(path) out of container \(id.prefix(12))")
        }
        for try await buffer in response.body {
            try await consume(Array(buffer.readableBytesView))
        }
        return true
    }

    public func listContainers(labels: [String: String], all: Bool) async throws -> [ContainerSummary] {
        let filters: JSONAny = .object(["label": .array(labels.sorted { $0.key < $1.key }.map { .string("\($0.key)=\($0.value)") })])
        let filterText = String(decoding: try JSONEncoder().encode(filters), as: UTF8.self)
        let (status, body) = try await self.send(
            .GET, "/containers/json", query: [("all", all ? "1" : "0"), ("filters", filterText)])
        try Self.check(status, body, "list containers")
        struct Row: Decodable {
            var Id: String
            var State: String
            var Labels: [String: String]?
            var Created: Int64?
        }
        return try Self.decode([Row].self, body, "list containers").map {
            ContainerSummary(
                id: $0.Id, state: .init(rawValue: $0.State) ?? .dead, labels: $0.Labels ?? [:],
                created: $0.Created.map { Date(timeIntervalSince1970: TimeInterval($0)) })
        }
    }

    public func pauseContainer(_ id: String) async throws {
        let (status, body) = try await self.send(.POST, "/containers/\(id)/pause")
        try Self.check(status, body, "pause container \(id.prefix(12))")
    }

    public func unpauseContainer(_ id: String) async throws {
        let (status, body) = try await self.send(.POST, "/containers/\(id)/unpause")
        try Self.check(status, body, "unpause container \(id.prefix(12))")
    }

    // MARK: Plumbing

    private struct Version: Decodable {
        var version: String
        var apiVersion: String
        enum CodingKeys: String, CodingKey {
            case version = "Version"
            case apiVersion = "ApiVersion"
        }
    }

    /// `GET /version` without a version prefix, so it works before negotiation.
    private func rawVersion() async throws -> Version {
        var request = Self.request(self.base + "/version")
        request.method = .GET
        let response: HTTPClientResponse
        do {
            response = try await self.http.execute(request, timeout: .seconds(15), logger: self.logger)
        } catch {
            throw GSSAError.server("no Docker engine answers at \(self.socketPath): \(error)")
        }
        let body = try await response.body.collect(upTo: 1 << 20)
        try Self.check(response.status, body, "query engine version")
        return try Self.decode(Version.self, body, "engine version")
    }

    /// Docker's Go server insists on a Host header, which a Unix-socket URL does not provide.
    static func request(_ url: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.headers.replaceOrAdd(name: "Host", value: "docker")
        return request
    }

    func url(_ path: String, query: [(String, String)] = []) -> String {
        var text = self.base + "/v\(self.apiVersion)" + path
        if !query.isEmpty {
            text += "?" + query.map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&")
        }
        return text
    }

    func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], json: JSONAny? = nil,
        rawJSON: Data? = nil, timeout: TimeAmount = .seconds(120)
    ) async throws -> (HTTPResponseStatus, ByteBuffer) {
        var request = Self.request(self.url(path, query: query))
        request.method = method
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(json)))
        } else if let rawJSON {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: rawJSON))
        }
        do {
            let response = try await self.http.execute(request, timeout: timeout, logger: self.logger)
            let body = try await response.body.collect(upTo: 64 << 20)
            return (response.status, body)
        } catch let error as GSSAError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw GSSAError.server("Docker engine request \(method) \(path) failed: \(error)")
        }
    }

    static func check(_ status: HTTPResponseStatus, _ body: ByteBuffer, _ what: String) throws {
        guard (200..<300).contains(Int(status.code)) else {
            struct Message: Decodable { var message: String }
            let text =
                (try? JSONDecoder().decode(Message.self, from: Data(body.readableBytesView)).message)
                ?? String(buffer: body)
            throw GSSAError.server("Docker engine refused to \(what): \(status.code) \(text)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer, _ what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(body.readableBytesView))
        } catch {
            throw GSSAError.server("unexpected Docker engine answer to \(what): \(error)")
        }
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func parseDate(_ text: String) -> Date? {
        if text.hasPrefix("0001-") { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        // Docker prints nanoseconds; ISO8601DateFormatter takes at most milliseconds.
        if let dot = text.firstIndex(of: "."), let zone = text.lastIndex(where: { $0 == "Z" || $0 == "+" }) {
            let trimmed = String(text[..<dot]) + String(text[zone...])
            formatter.formatOptions = [.withInternetDateTime]
            return formatter.date(from: trimmed)
        }
        return nil
    }
}

/// A Docker API version such as `1.41`, ordered numerically.
public struct APIVersion: Comparable, Sendable, Hashable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }
    public init?(_ text: String) {
        let parts = text.split(separator: ".").compactMap { Int($0) }
        guard parts.count == 2 else { return nil }
        self.init(parts[0], parts[1])
    }
    public static func < (a: APIVersion, b: APIVersion) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
    public var description: String { "\(self.major).\(self.minor)" }
}

/// Minimal JSON value for request bodies we build ourselves.
enum JSONAny: Encodable, ExpressibleByStringLiteral, Sendable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case array([JSONAny])
    case object([String: JSONAny])

    init(stringLiteral value: String) { self = .string(value) }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .int(let i): try c.encode(i)
        case .bool(let b): try c.encode(b)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}
