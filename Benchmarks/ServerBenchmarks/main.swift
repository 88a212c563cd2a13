// gssa-server-bench: figures for docs/performance.md, section "Server".
//
//   swift run -c release gssa-server-bench [--runs 10000] [--requests 2000] [--events 100000]
//                                          [--e2e 5] [--runner PATH]
//
// 1. search and status latency (p50/p99) over loopback HTTP with 10^4 stored runs (SQLite);
// 2. a trivial run end to end (HTTP submit → `complete` on the WebSocket, real daemon and
//    dockerd) against a bare `docker run --rm` of the same image, interleaved;
// 3. events per second one WebSocket client receives.
// With --load, only: status p99 while 30 runs execute and a 200 MB bundle downloads (LoadBenchmark.swift).
// With --scheduler, only: one scheduling decision with 10^4 queued runs (SchedulerBenchmark.swift).
// With --sweep, only: settling a sweep of 10^3 children, store tally against reading them all (SweepBenchmark.swift).
import AsyncHTTPClient
import ContainerEngine
import Foundation
import GSSA
import GSSAServer
import GSSAServerTesting
import HummingbirdWSClient
import LaunchDaemon
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import NIOWebSocket

func option(_ name: String, _ fallback: Int) -> Int {
    guard let index = CommandLine.arguments.firstIndex(of: name), index + 1 < CommandLine.arguments.count else { return fallback }
    return Int(CommandLine.arguments[index + 1]) ?? fallback
}

let runCount = option("--runs", 10_000)
let requestCount = option("--requests", 2_000)
let eventCount = option("--events", 100_000)
let e2eRounds = option("--e2e", 5)
let runner: String = {
    if let index = CommandLine.arguments.firstIndex(of: "--runner") { return CommandLine.arguments[index + 1] }
    return ProcessInfo.processInfo.environment["GSSA_RUNNER"] ?? ".build-runner/release/gssa-container"
}()
var quiet = Logger(label: "bench")
quiet.logLevel = .critical
let logger = quiet

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func ms(_ d: Duration) -> Double {
    let (s, atto) = d.components
    return Double(s) * 1000 + Double(atto) / 1e15
}

struct Server {
    let port: Int
    let manager: SimulationManager
    let store: SQLiteSimulationStore
    let group: ServiceGroup
    let token: String
    var base: String { "http://127.0.0.1:\(port)" }

    static func start(data: URL, launcher: any SimulationLauncher) async throws -> Server {
        let configuration = ServerConfiguration(dataDirectory: data)
        let store = try SQLiteSimulationStore(path: configuration.databasePath)
        let token = APIToken.generate()
        try await store.addUser(UserRecord(name: "bench", tokenDigest: APIToken.digest(token), admin: false))
        let manager = try SimulationManager(configuration: configuration, store: store, launcher: launcher, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = SimulationServer.makeApplication(manager: manager, store: store, host: "127.0.0.1", port: 0, logger: logger) {
            continuation.yield($0)
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        return Server(port: await iterator.next()!, manager: manager, store: store, group: group, token: token)
    }

    func get(_ path: String) async throws -> HTTPResponseStatus {
        var request = HTTPClientRequest(url: base + path)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 24)
        return response.status
    }

    func send(_ method: HTTPMethod, _ path: String, _ body: Data?) async throws {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 1 << 24)
        guard (200..<300).contains(response.status.code) else {
            throw GSSAError.server("\(method) \(path): \(response.status.code) \(String(buffer: bytes))")
        }
    }
}

func scratch(_ label: String) -> URL {
    let url = URL(fileURLWithPath: "/tmp/gssa-bench-\(label)-\(UUID().uuidString.prefix(6))")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    chmod(url.path, 0o755)
    return url
}

if CommandLine.arguments.contains("--scheduler") {
    schedulerBenchmark(queued: option("--queued", 10_000), users: option("--users", 100), rounds: option("--rounds", 500))
    exit(0)
}

if CommandLine.arguments.contains("--sweep") {
    try await sweepBenchmark(children: option("--children", 1_000), rounds: option("--rounds", 50), scratch: scratch("sweep"))
    exit(0)
}

if CommandLine.arguments.contains("--load") {
    try await loadBenchmark()
    exit(0)
}

// MARK: 1. search and status with 10^4 runs

print("## Server\n")
print("Measured by `swift run -c release gssa-server-bench` on the shared 2-core machine.\n")
do {
    let data = scratch("store")
    let server = try await Server.start(data: data, launcher: InMemoryLauncher())
    var guids: [String] = []
    let fillClock = ContinuousClock.now
    for index in 0..<runCount {
        let guid = UUID().uuidString
        guids.append(guid)
        var record = SimulationRecord(guid: guid, owner: "bench", directory: data.appendingPathComponent("runs/\(guid)").path,
                                      state: [.succeeded, .failed, .queued, .running][index % 4],
                                      createdAt: Date(timeIntervalSince1970: 1_700_000_000 + Double(index)))
        record.family = "python-demo"
        record.message = "done"
        record.percentage = 100
        try await server.store.insert(record)
    }
    let fill = ContinuousClock.now - fillClock
    var status: [Double] = [], search: [Double] = [], searchAll: [Double] = []
    for index in 0..<requestCount {
        let guid = guids[Int.random(in: 0..<guids.count)]
        var clock = ContinuousClock.now
        guard try await server.get("/api/v1/simulations/\(guid)") == .ok else { fatalError("status failed") }
        status.append(ms(ContinuousClock.now - clock))
        clock = ContinuousClock.now
        guard try await server.get("/api/v1/simulations?prefix=\(guid.prefix(3))&limit=10") == .ok else { fatalError("search failed") }
        search.append(ms(ContinuousClock.now - clock))
        if index % 4 == 0 {
            clock = ContinuousClock.now
            guard try await server.get("/api/v1/simulations?limit=10") == .ok else { fatalError("search failed") }
            searchAll.append(ms(ContinuousClock.now - clock))
        }
    }
    print("### API latency with \(runCount) stored runs (SQLite, loopback HTTP, one client)\n")
    print("| request | n | p50 | p99 |")
    print("|---|---|---|---|")
    print(String(format: "| `GET /simulations/{guid}` (retrieve_status) | %d | %.2f ms | %.2f ms |", status.count, percentile(status, 0.5), percentile(status, 0.99)))
    print(String(format: "| `GET /simulations?prefix=XYZ&limit=10` (search) | %d | %.2f ms | %.2f ms |", search.count, percentile(search, 0.5), percentile(search, 0.99)))
    print(String(format: "| `GET /simulations?limit=10` (search, all runs) | %d | %.2f ms | %.2f ms |", searchAll.count, percentile(searchAll, 0.5), percentile(searchAll, 0.99)))
    print(String(format: "\nFilling the store: %d inserts in %.1f s (one transaction each).\n", runCount, ms(fill) / 1000))

    // MARK: 3. events per second on one WebSocket
    let received = ManagedCounter()
    let target = eventCount
    let url = server.base.replacingOccurrences(of: "http://", with: "ws://") + "/api/v1/events?token=\(server.token)"
    let (ready, readyContinuation) = AsyncStream<Void>.makeStream()
    let (done, doneContinuation) = AsyncStream<ContinuousClock.Instant>.makeStream()
    let client = Task {
        try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message else { continue }
                if text.contains("\"identify\"") { readyContinuation.yield(); continue }
                if await received.increment() == target {
                    doneContinuation.yield(.now)
                    try await outbound.close(.normalClosure, reason: nil)
                    return
                }
            }
        }
    }
    for await _ in ready { break }
    let clock = ContinuousClock.now
    let guid = guids[0]
    for index in 0..<eventCount {
        await server.manager.hub.publish(
            ServerEvent(type: .status, guid: guid, state: .running, percentage: Double(index % 100),
                        status: GSSAError(.inProgress, "step \(index)")), owner: "bench")
    }
    var end = ContinuousClock.now
    for await instant in done { end = instant; break }
    client.cancel()
    let seconds = ms(end - clock) / 1000
    print("### Events on one WebSocket\n")
    print(String(format: "%d status events published through the hub and received by one client in %.2f s: **%.0f events/s**.\n",
                 eventCount, seconds, Double(eventCount) / seconds))
    await server.group.triggerGracefulShutdown()
}

actor ManagedCounter {
    var value = 0
    func increment() -> Int {
        value += 1
        return value
    }
}

// MARK: 2. trivial run end to end vs bare docker run

do {
    guard FileManager.default.isExecutableFile(atPath: runner) else {
        print("### Trivial run end to end\n\nskipped: no runner at \(runner) (pass --runner or set GSSA_RUNNER)\n")
        exit(0)
    }
    let root = scratch("e2e")
    let data = root.appendingPathComponent("data")
    try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
    let engine = try await DockerEngine.connect(logger: logger)
    let socket = root.appendingPathComponent("dl.sock").path
    let configuration = DaemonConfiguration(socket: socket, dataRoot: data.path, allowedImages: ["gssa/python:bookworm"],
                                            runner: runner, daemonID: "bench-\(UUID().uuidString.prefix(6))")
    let daemonGroup = ServiceGroup(configuration: .init(
        services: [LaunchServer(daemon: LaunchDaemon(configuration: configuration, engine: engine, logger: logger), logger: logger)],
        logger: logger))
    Task { try await daemonGroup.run() }
    while !FileManager.default.fileExists(atPath: socket) { try await Task.sleep(for: .milliseconds(20)) }
    let server = try await Server.start(data: data, launcher: DaemonLauncher(socket: socket))
    let xml = """
        <simulationDefinition><numericalModel><needles/><regions/>
        <definition family="python-demo"><![CDATA[
        import gosmart
        gosmart.setup()
        ]]></definition></numericalModel></simulationDefinition>
        """
    var viaServer: [Double] = [], bare: [Double] = []
    for _ in 0..<e2eRounds {
        // Through the server: init, upload, finalize, start, wait for `complete`.
        let guid = UUID().uuidString
        let url = server.base.replacingOccurrences(of: "http://", with: "ws://") + "/api/v1/events?token=\(server.token)"
        let (ready, readyContinuation) = AsyncStream<Void>.makeStream()
        let (finished, finishedContinuation) = AsyncStream<String>.makeStream()
        let watcher = Task {
            try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    if text.contains("\"identify\"") { readyContinuation.yield() }
                    if text.contains(guid) && (text.contains("\"complete\"") || text.contains("\"fail\"")) {
                        finishedContinuation.yield(text)
                        try await outbound.close(.normalClosure, reason: nil)
                        return
                    }
                }
            }
        }
        for await _ in ready { break }
        let clock = ContinuousClock.now
        try await server.send(.POST, "/api/v1/simulations/\(guid)/init", nil)
        try await server.send(.PUT, "/api/v1/simulations/\(guid)/definition", Data(xml.utf8))
        try await server.send(.POST, "/api/v1/simulations/\(guid)/finalize", Data("{}".utf8))
        try await server.send(.POST, "/api/v1/simulations/\(guid)/start", nil)
        var outcome = ""
        for await text in finished { outcome = text; break }
        viaServer.append(ms(ContinuousClock.now - clock))
        watcher.cancel()
        guard outcome.contains("\"complete\"") else { fatalError("run failed: \(outcome)") }

        // Bare: the same image and interpreter, nothing else.
        let bareClock = ContinuousClock.now
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["docker", "run", "--rm", "--network", "none", "gssa/python:bookworm", "python3", "-c", "import gosmart"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        bare.append(ms(ContinuousClock.now - bareClock))
    }
    let a = percentile(viaServer, 0.5), b = percentile(bare, 0.5)
    print("### Trivial run end to end (real daemon and dockerd, \(e2eRounds) interleaved rounds)\n")
    print("| path | median | min | max |")
    print("|---|---|---|---|")
    print(String(format: "| gssa server: init → definition → finalize → start → `complete` event | %.0f ms | %.0f ms | %.0f ms |", a, viaServer.min()!, viaServer.max()!))
    print(String(format: "| bare `docker run --rm gssa/python:bookworm python3 -c 'import gosmart'` | %.0f ms | %.0f ms | %.0f ms |", b, bare.min()!, bare.max()!))
    print(String(format: "\nRatio server/bare: **%.2f** (+%.0f ms: staging, runner, status relay, collection, SQLite writes).\n", a / b, a - b))
    await server.group.triggerGracefulShutdown()
    await daemonGroup.triggerGracefulShutdown()
    try? await Task.sleep(for: .milliseconds(200))
    await engine.shutdown()
}
