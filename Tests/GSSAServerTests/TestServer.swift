import AsyncHTTPClient
import Families
import Foundation
import GSSA
import GSSAServer
import GSSAServerTesting
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing

/// A gssa server on a loopback port, with three users, for tests over real HTTP.
final class TestServer: APITarget, Sendable {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    let data: URL
    let port: Int
    let manager: SimulationManager
    let store: any SimulationStore
    let alice: String
    let bob: String
    let admin: String

    var base: String { "http://127.0.0.1:\(port)" }

    static func registry() -> FamilyRegistry {
        FamilyRegistry.standard(searchPath: [repositoryRoot.appendingPathComponent("families")])
    }

    /// Runs `body` with a server on a fresh data directory (or `data`, to simulate a restart),
    /// then shuts the server down and waits until it has stopped, whether `body` returned or
    /// threw (like hummingbird's `app.test`): the server's service group is a child task here.
    static func withServer<T>(
        launcher: any SimulationLauncher, data: URL? = nil, mesher: any HostMesher = InMemoryHostMesher(),
        transferTimeout: TimeAmount = .seconds(30), users: (alice: String, bob: String, admin: String)? = nil,
        limits: UploadLimits = UploadLimits(), work: BlockingWork = BlockingWork(), walltime: Double? = nil,
        web: WebConfiguration = WebConfiguration(),
        scheduling: SchedulingConfiguration = SchedulingConfiguration(), registry: FamilyRegistry? = nil,
        _ body: (TestServer) async throws -> T
    ) async throws -> T {
        let data = data ?? scratchDirectory("server")
        let configuration = ServerConfiguration(
            dataDirectory: data, walltime: walltime, statusPersistInterval: .milliseconds(200), transferTimeout: transferTimeout,
            queuePollInterval: .milliseconds(100), limits: limits, scheduling: scheduling)
        let store = try SQLiteSimulationStore(path: configuration.databasePath)
        var logger = Logger(label: "gssa.test.server")
        logger.logLevel = .warning
        let manager = try SimulationManager(
            configuration: configuration, store: store, launcher: launcher, mesher: mesher, registry: registry ?? Self.registry(), logger: logger,
            work: work)
        var tokens = users
        if tokens == nil {
            let made = (APIToken.generate(), APIToken.generate(), APIToken.generate())
            try await store.addUser(UserRecord(name: "alice", tokenDigest: APIToken.digest(made.0), admin: false))
            try await store.addUser(UserRecord(name: "bob", tokenDigest: APIToken.digest(made.1), admin: false))
            try await store.addUser(UserRecord(name: "root", tokenDigest: APIToken.digest(made.2), admin: true))
            tokens = made
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = SimulationServer.makeApplication(manager: manager, store: store, host: "127.0.0.1", port: 0, logger: logger, web: web) { port in
            continuation.yield(port)
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                // A server that fails to start ends the port stream, so nothing waits forever.
                defer { continuation.finish() }
                try await group.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await tasks.waitForAll()
                throw GSSAError.server("test server did not start")
            }
            let server = TestServer(data: data, port: port, manager: manager, store: store, tokens: tokens!)
            let outcome: Result<T, any Error>
            do {
                outcome = .success(try await TestScope.run { try await body(server) })
            } catch {
                outcome = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try outcome.get()
        }
    }

    private init(data: URL, port: Int, manager: SimulationManager, store: any SimulationStore, tokens: (String, String, String)) {
        self.data = data
        self.port = port
        self.manager = manager
        self.store = store
        (alice, bob, admin) = tokens
    }

    static func fixture(_ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
    }

    static func sleepDefinition(steps: Int, sleep: Double) throws -> String {
        try fixture("sleep.xml").replacingOccurrences(of: "\"STEPS\"", with: "\"\(steps)\"")
            .replacingOccurrences(of: "\"SLEEP\"", with: "\"\(sleep)\"")
    }

    /// A tar.gz of the demo's surface, as `gssa launch -i tumour.stl` uploads it.
    static func demoArchive() throws -> Data {
        let url = scratchDirectory("archive").appendingPathComponent("input.tar.gz")
        let writer = try TarGzWriter(url: url)
        try writer.add("tumour.stl", .file(try Data(contentsOf: fixtures.appendingPathComponent("tumour.stl"))))
        try writer.finish()
        return try Data(contentsOf: url)
    }
}

/// The background work of a test scope (event connections): it runs as a child of the scope
/// and is cancelled and awaited when the scope ends, so nothing outlives the test.
enum TestScope {
    /// The owner of the innermost scope's background work.
    @TaskLocal static var tasks: OwnedTasks?

    /// Runs `body` with ``tasks`` set; then cancels that work and waits for it.
    static func run<T>(_ body: () async throws -> T) async throws -> T {
        let tasks = OwnedTasks()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await tasks.run() }
            let outcome: Result<T, any Error>
            do {
                outcome = .success(try await $tasks.withValue(tasks) { try await body() })
            } catch {
                outcome = .failure(error)
            }
            group.cancelAll()
            try await group.waitForAll()
            return try outcome.get()
        }
    }
}

func scratchDirectory(_ label: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-\(label)-\(UUID().uuidString.prefix(8))")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func newGUID() -> String { UUID().uuidString }

/// The internal key (store key, daemon name) of `owner`'s run called `guid`: GUIDs are
/// namespaced per owner, so the daemon and the store know runs by a key of their own.
func runKey(_ guid: String, in store: any SimulationStore, owner: String = "alice") async throws -> String {
    guard let record = try await store.record(owner: owner, name: guid.uppercased()) else {
        throw GSSAError.client("no run \(guid) of \(owner)")
    }
    return record.guid
}

import GSSAArchive
import NIOFoundationEssentialsCompat

/// Anything serving the gssa API at `base`.
/// The key the launch daemon knows a run by: the server's internal key, which names the run's
/// directory (the client's GUID is per owner and never reaches the daemon).
func daemonKey(_ guid: String, _ server: any APITarget, token: String) async throws -> String {
    URL(fileURLWithPath: try await server.summary(guid, token: token).directory).lastPathComponent
}

protocol APITarget: Sendable {
    var base: String { get }
}

/// A server in another process.
struct RemoteServer: APITarget {
    let base: String
}

struct APIReply: Sendable {
    var status: HTTPResponseStatus
    var body: Data
    var contentType: String?
    /// The `Retry-After` header, when the answer has one (HTTP 429).
    var retryAfter: String? = nil
    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw GSSAError.server("not a JSON object: \(String(decoding: body, as: UTF8.self))")
        }
        return object
    }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: body) }
    var errorCode: String? { ((try? json())?["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String { (((try? json())?["error"] as? [String: Any])?["message"] as? String) ?? "" }
}


extension APITarget {
    func request(_ method: HTTPMethod, _ path: String, token: String?, body: Data? = nil, contentType: String = "application/json") async throws -> APIReply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 1 << 28)
        return APIReply(status: response.status, body: Data(buffer: bytes), contentType: response.headers.first(name: "Content-Type"),
                        retryAfter: response.headers.first(name: "Retry-After"))
    }

    func json(_ method: HTTPMethod, _ path: String, token: String?, _ object: Any) async throws -> APIReply {
        try await request(method, path, token: token, body: try JSONSerialization.data(withJSONObject: object))
    }

    /// init → definition → (archive) → finalize; returns the finalize reply.
    @discardableResult
    func submit(guid: String, xml: String, token: String, archive: Data? = nil) async throws -> APIReply {
        let initReply = try await request(.POST, "/api/v1/simulations/\(guid)/init", token: token)
        #expect(initReply.status == .ok)
        let upload = try await request(.PUT, "/api/v1/simulations/\(guid)/definition", token: token, body: Data(xml.utf8), contentType: "application/xml")
        #expect(upload.status == .ok, "\(String(decoding: upload.body, as: UTF8.self))")
        if let archive {
            let stored = try await request(.PUT, "/api/v1/simulations/\(guid)/archive", token: token, body: archive, contentType: "application/gzip")
            #expect(stored.status == .ok, "\(String(decoding: stored.body, as: UTF8.self))")
        }
        return try await json(.POST, "/api/v1/simulations/\(guid)/finalize", token: token, ["directory": "."])
    }

    func start(guid: String, token: String) async throws -> APIReply {
        try await request(.POST, "/api/v1/simulations/\(guid)/start", token: token)
    }

    func summary(_ guid: String, token: String) async throws -> SimulationSummary {
        try await request(.GET, "/api/v1/simulations/\(guid)", token: token).decode(SimulationSummary.self)
    }

    /// Polls the status until the run is terminal (bounded), for tests that do not watch events.
    func waitTerminal(_ guid: String, token: String, seconds: Double = 120) async throws -> SimulationSummary {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            let summary = try await summary(guid, token: token)
            if summary.state.isTerminal { return summary }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw GSSAError.server("run \(guid) did not finish within \(seconds) s")
    }

}
