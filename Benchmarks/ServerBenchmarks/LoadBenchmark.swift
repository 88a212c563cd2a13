// gssa-server-bench --load: status latency while 30 runs execute and a 200 MB results bundle
// downloads, against the same server idle, in one invocation (issue 12 item 5).
//
//   gssa-server-bench --load [--bundle-mb 200] [--load-runs 30] [--idle-requests 2000]
import AsyncHTTPClient
import Foundation
import GSSA
import GSSAServer
import LaunchProtocol
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// A launcher whose runs stay running and report a status every `interval` until stopped: the
/// manager actor and the store see the traffic of `capacity` live runs.
actor ChattyLauncher: SimulationLauncher {
    let capacity: Int
    let interval: Duration
    private var stopped = false
    private var active = 0
    private(set) var statuses = 0

    init(capacity: Int, interval: Duration) {
        self.capacity = capacity
        self.interval = interval
    }

    func stop() { stopped = true }
    var running: Int { active }

    func run(_ specification: LaunchSpecification, observer: LaunchObserver) async throws -> RunResult {
        guard active < capacity else { throw LauncherAtCapacity(message: "Too many containers (max: \(capacity))") }
        active += 1
        defer { active -= 1 }
        await observer.started("chatty-\(specification.guid)", "sha256:chatty")
        var step = 0
        while !stopped {
            step += 1
            statuses += 1
            await observer.status(Double(step % 100), "step \(step)")
            try? await Task.sleep(for: interval)
        }
        return RunResult(exitCode: 0, imageID: "sha256:chatty", outputCollected: true)
    }

    func attach(guid: String, observer: LaunchObserver) async throws -> RunResult {
        RunResult(exitCode: 0, imageID: "sha256:chatty", outputCollected: true)
    }
    func state(guid: String) -> LauncherRunState { stopped ? .exited : .running }
    func cancel(guid: String) {}
    func logs(guid: String) -> LogsReply { LogsReply(stdout: "", stderr: "") }
    func usage() -> UsageReply { UsageReply(running: active, max: capacity) }
}

/// The resident set of this process now, and its peak so far (`/proc/self/status`), in bytes.
func memory() -> (rss: Int, peak: Int) {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
    func field(_ name: String) -> Int {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }
    return (field("VmRSS"), field("VmHWM"))
}

func loadBenchmark() async throws {
    let bundleMB = option("--bundle-mb", 200)
    let loadRuns = option("--load-runs", 30)
    let idleRequests = option("--idle-requests", 2000)
    let data = scratch("load")
    defer { try? FileManager.default.removeItem(at: data) }
    let launcher = ChattyLauncher(capacity: loadRuns, interval: .milliseconds(100))
    let server = try await Server.start(data: data, launcher: launcher)

    // A finished run whose output is `bundleMB` MB that gzip cannot shrink.
    let big = UUID().uuidString
    let directory = data.appendingPathComponent("runs/\(big)")
    try FileManager.default.createDirectory(at: directory.appendingPathComponent("output"), withIntermediateDirectories: true)
    try Data("<simulationDefinition/>".utf8).write(to: directory.appendingPathComponent("original.xml"))
    try Data((big + "\n").utf8).write(to: directory.appendingPathComponent("guid"))
    var generator = SystemRandomNumberGenerator()
    let block = Data((0..<(1 << 20) / 8).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } })
    let output = directory.appendingPathComponent("output/result.bin")
    FileManager.default.createFile(atPath: output.path, contents: nil)
    let handle = try FileHandle(forWritingTo: output)
    for _ in 0..<bundleMB { try handle.write(contentsOf: block) }
    try handle.close()
    var record = SimulationRecord(guid: big, name: big, owner: "bench", directory: directory.path, state: .succeeded)
    record.imageID = "sha256:bench"
    try await server.store.insert(record)

    func statusLatencies(_ guid: String, count: Int?, until done: (@Sendable () -> Bool)? = nil) async throws -> [Double] {
        var latencies: [Double] = []
        while count.map({ latencies.count < $0 }) ?? !(done?() ?? true) {
            let clock = ContinuousClock.now
            guard try await server.get("/api/v1/simulations/\(guid)") == .ok else { fatalError("status failed") }
            latencies.append(ms(ContinuousClock.now - clock))
        }
        return latencies
    }

    // Idle: the same server, nothing else running.
    let idle = try await statusLatencies(big, count: idleRequests)
    let idleMemory = memory()

    // Load: `loadRuns` runs reporting statuses, then the bundle download.
    let xml = """
        <simulationDefinition><numericalModel><needles/><regions/>
        <definition family="python-demo"><![CDATA[
        import gosmart
        gosmart.setup()
        ]]></definition></numericalModel></simulationDefinition>
        """
    var runs: [String] = []
    for _ in 0..<loadRuns {
        let guid = UUID().uuidString
        try await server.send(.POST, "/api/v1/simulations/\(guid)/init", nil)
        try await server.send(.PUT, "/api/v1/simulations/\(guid)/definition", Data(xml.utf8))
        try await server.send(.POST, "/api/v1/simulations/\(guid)/finalize", Data("{}".utf8))
        try await server.send(.POST, "/api/v1/simulations/\(guid)/start", nil)
        runs.append(guid)
    }
    let settle = ContinuousClock.now + .seconds(30)
    while await launcher.running < loadRuns, ContinuousClock.now < settle { try await Task.sleep(for: .milliseconds(50)) }
    let running = await launcher.running

    let finished = DownloadFlag()
    let sampler = Task {
        var peak = 0
        while !finished.isSet {
            peak = max(peak, memory().rss)
            try? await Task.sleep(for: .milliseconds(20))
        }
        return max(peak, memory().rss)
    }
    let downloadClock = ContinuousClock.now
    let download = Task { () throws -> Int in
        defer { finished.set() }
        var request = HTTPClientRequest(url: server.base + "/api/v1/simulations/\(big)/results")
        request.headers.add(name: "Authorization", value: "Bearer \(server.token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(600))
        guard response.status == .ok else { fatalError("download failed: \(response.status)") }
        var bytes = 0
        for try await chunk in response.body { bytes += chunk.readableBytes }
        return bytes
    }
    let statusBefore = await launcher.statuses
    let loaded = try await statusLatencies(runs[0], count: nil, until: { finished.isSet })
    let bytes = try await download.value
    let downloadSeconds = ms(ContinuousClock.now - downloadClock) / 1000
    let statusRate = Double(await launcher.statuses - statusBefore) / downloadSeconds
    let peakRSS = await sampler.value
    await launcher.stop()
    for guid in runs { try? await server.send(.POST, "/api/v1/simulations/\(guid)/cancel", nil) }

    let idle99 = percentile(idle, 0.99), loaded99 = percentile(loaded, 0.99)
    print("### Status while runs execute and a large bundle downloads\n")
    print("`gssa-server-bench --load`: one server (SQLite store, loopback HTTP), \(running) runs of an in-memory launcher")
    print("each reporting a status every 100 ms, and a \(bundleMB) MB (incompressible) results bundle built and downloaded")
    print("while one client asks for a run's status in a loop.\n")
    print("| phase | n | p50 | p99 | max |")
    print("|---|---|---|---|---|")
    print(String(format: "| idle | %d | %.2f ms | %.2f ms | %.2f ms |", idle.count, percentile(idle, 0.5), idle99, idle.max()!))
    print(String(format: "| %d runs + %d MB bundle download | %d | %.2f ms | %.2f ms | %.2f ms |", running, bundleMB, loaded.count,
                 percentile(loaded, 0.5), loaded99, loaded.max()!))
    print(String(format: "\nLoaded/idle p99: **%.2f** (target: loaded p99 < 10 ms: %@).", loaded99 / idle99, loaded99 < 10 ? "met" : "missed"))
    print(String(format: "Bundle: %.1f MB built and downloaded in %.1f s (%.0f MB/s) while the runs sent %.0f statuses/s.",
                 Double(bytes) / 1e6, downloadSeconds, Double(bytes) / 1e6 / downloadSeconds, statusRate))
    print(String(format: "Memory of the process (server and client): RSS %.0f MiB idle, peak %.0f MiB during the download (+%.0f MiB for a %.0f MiB bundle); VmHWM %.0f MiB.\n",
                 Double(idleMemory.rss) / 1048576, Double(peakRSS) / 1048576, Double(peakRSS - idleMemory.rss) / 1048576,
                 Double(bytes) / 1048576, Double(memory().peak) / 1048576))
    await server.group.triggerGracefulShutdown()
}

/// Set once, read from any task.
final class DownloadFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
