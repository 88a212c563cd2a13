import ContainerEngine
import Foundation
import GSSA
import GSSAArchive
import GSSAServer
import GSSAServerTesting
import GSSATestSupport
import LaunchDaemon
import Logging
import NIOHTTP1
import ServiceLifecycle
import Testing

/// The server, unchanged, on a launch daemon with `executor: swarm` (a real swarm from
/// scripts/swarm-up): the python demo (2 nodes) and the concentric-spheres Docker+CGAL example
/// (meshed by CGAL here, solved in gssa/fenics on a 1-node swarm) give the same results as on
/// the local executor, and the node that ran a run is in its summary (`node`), properties and
/// `complete` event.
@Suite(
    "Server on the swarm executor", .serialized, .requiresDockerEngine, .requiresImages(RealDaemon.image),
    RealDaemon.requiresRunner, .requiresTool("nsenter"))
struct SwarmServerTests {
    /// The swarm's names: apart from a developer's swarm, and, with `GSSA_SWARM_TEST_PREFIX=p`
    /// set, from another test run on the same machine (prefix `ps`).
    static let prefix = ProcessInfo.processInfo.environment["GSSA_SWARM_TEST_PREFIX"].map { $0 + "s" } ?? "gssa-sws"
    static let base = prefix == "gssa-sws" ? "/var/lib/gssa-swarm-server-test" : "/var/lib/\(prefix)-swarm-test"
    static let fenics = "gssa/fenics:bookworm"

    static func script(_ name: String, _ arguments: [String] = [], images: String = RealDaemon.image) async throws -> SpawnedProcess {
        let environment = ProcessInfo.processInfo.environment.merging([
            "GSSA_SWARM_DIR": base, "GSSA_SWARM_PREFIX": prefix, "GSSA_SWARM_SUBNET": "10.79.0", "GSSA_SWARM_IMAGES": images,
        ]) { $1 }
        return try await SpawnedProcess.run(
            TestServer.repositoryRoot.appendingPathComponent("scripts/\(name)").path, arguments, environment: environment)
    }

    /// What one run through the server gave: its output files (text, by path under the run's
    /// output, picked by `keep`), its summary and properties, and its last event.
    struct Outcome {
        var files: [String: String]
        var summary: SimulationSummary
        var properties: [String: String]
        var last: ServerEvent?
    }

    /// The python demo through the server.
    private func demo(_ launcher: DaemonLauncher, data: URL) async throws -> Outcome {
        try await simulate(launcher, data: data, xml: try TestServer.fixture("demo.xml"), archive: try TestServer.demoArchive()) {
            $0.hasPrefix("run/")
        }
    }

    /// `xml` with `archive` submitted, started and followed to its end through the server.
    private func simulate(
        _ launcher: DaemonLauncher, data: URL, xml: String, archive: Data, mesher: any HostMesher = InMemoryHostMesher(),
        seconds: Double = 120, keep: (String) -> Bool
    ) async throws -> Outcome {
        try await TestServer.withServer(launcher: launcher, data: data, mesher: mesher) { server in
            let guid = newGUID()
            let finalized = try await server.submit(guid: guid, xml: xml, token: server.alice, archive: archive)
            #expect(finalized.status == .ok, "\(String(decoding: finalized.body, as: UTF8.self))")
            let recorder = await EventRecorder.connect(base: server.base, token: server.alice, until: guid)
            #expect(try await server.start(guid: guid, token: server.alice).status == .accepted)
            let events = try await recorder.finish(seconds: seconds).filter { $0.guid == guid }
            #expect(events.last?.type == .complete, "\(events.map { "\($0.type) \($0.status?.message ?? "")" })")
            let summary = try await server.summary(guid, token: server.alice)
            let properties = try await server.request(.GET, "/api/v1/simulations/\(guid)/properties", token: server.alice)
                .decode([String: String].self)
            let bundle = try await server.request(.GET, "/api/v1/simulations/\(guid)/results", token: server.alice)
            let url = scratchDirectory("swarm-bundle").appendingPathComponent("results.tar.gz")
            try bundle.body.write(to: url)
            let extracted = scratchDirectory("swarm-extract")
            var files: [String: String] = [:]
            for entry in try TarGzReader.extract(url, into: extracted) where entry.name.contains("/output/") {
                // The results, by their path under the run's output (the GUID differs).
                let relative = String(entry.name.split(separator: "/output/", maxSplits: 1).last ?? "")
                guard keep(relative) else { continue }
                if let text = try? String(contentsOf: extracted.appendingPathComponent(entry.name), encoding: .utf8) {
                    files[relative] = text
                }
            }
            return Outcome(files: files, summary: summary, properties: properties, last: events.last)
        }
    }

    /// Runs `body` on a fresh `nodes`-node swarm carrying `images`, removed afterwards whatever happened.
    private func onSwarm<T>(nodes: Int, images: String, _ body: () async throws -> T) async throws -> T {
        _ = try await Self.script("swarm-down")
        let started = Date()
        let up = try await Self.script("swarm-up", ["\(nodes)"], images: images)
        try #require(up.status == 0, "scripts/swarm-up: \(up.stderrText)")
        print("swarm of \(nodes) with \(images) up in \(Int(Date().timeIntervalSince(started))) s")
        let outcome: Result<T, any Error>
        do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
        let down = try await Self.script("swarm-down")
        #expect(down.status == 0, "scripts/swarm-down: \(down.stderrText)")
        return try outcome.get()
    }

    @Test func pythonDemoOnTheSwarmMatchesTheLocalRunAndNamesItsNode() async throws {
        let local = try await RealDaemon.with { daemon in try await demo(daemon.launcher, data: daemon.data) }
        #expect(local.summary.exitStatus?.code == .success && local.summary.node == nil && local.last?.node == nil)
        let swarm = try await onSwarm(nodes: 2, images: RealDaemon.image) {
            try await self.withSwarmDaemon { socket, data in try await demo(DaemonLauncher(socket: socket), data: data) }
        }
        #expect(swarm.summary.exitStatus?.code == .success, "\(String(describing: swarm.summary.exitStatus))")
        #expect(!swarm.files.isEmpty && swarm.files == local.files,
                "the same results as the local run: \(swarm.files.keys.sorted()) vs \(local.files.keys.sorted())")
        let node = try #require(swarm.summary.node, "the summary names the node")
        #expect(node.hasPrefix("\(Self.prefix)-n"))
        #expect(swarm.properties["node"] == node)
        #expect(swarm.last?.type == .complete && swarm.last?.node == node, "the complete event names the node: \(String(describing: swarm.last))")
        #expect(swarm.summary.imageID == local.summary.imageID, "the same image ID on the node as here")
    }

    /// Docker+CGAL on the swarm: meshed by CGAL on the server's host, solved in gssa/fenics on the
    /// node; the summary's scalars agree with the local run's (probes within 1e-9 relative).
    @Test(.requiresImages(SwarmServerTests.fenics))
    func concentricSpheresOnTheSwarmMatchTheLocalRun() async throws {
        let xml = try String(
            contentsOf: TestServer.repositoryRoot.appendingPathComponent("examples/concentric-spheres/definition.xml"), encoding: .utf8)
        let url = scratchDirectory("spheres").appendingPathComponent("input.tar.gz")
        let writer = try TarGzWriter(url: url)
        try writer.add("electrode.stl", .file(try Data(contentsOf: TestServer.repositoryRoot.appendingPathComponent(
            "examples/concentric-spheres/electrode.stl"))))
        try writer.finish()
        let archive = try Data(contentsOf: url)
        let mesher = GSSAMeshHostMesher(executable: ServerProcess.executable, threads: 1)
        func spheres(_ launcher: DaemonLauncher, _ data: URL) async throws -> Outcome {
            try await simulate(launcher, data: data, xml: xml, archive: archive, mesher: mesher, seconds: 600) {
                $0.hasSuffix("summary.json")
            }
        }
        var clock = Date()
        let local = try await RealDaemon.with(images: [Self.fenics]) { daemon in try await spheres(daemon.launcher, daemon.data) }
        print("concentric spheres locally in \(Int(Date().timeIntervalSince(clock))) s")
        clock = Date()
        let swarm = try await onSwarm(nodes: 1, images: Self.fenics) {
            try await self.withSwarmDaemon(images: [Self.fenics]) { socket, data in try await spheres(DaemonLauncher(socket: socket), data) }
        }
        print("concentric spheres on a 1-node swarm (with its set-up) in \(Int(Date().timeIntervalSince(clock))) s")
        #expect(local.summary.exitStatus?.code == .success, "\(String(describing: local.summary.exitStatus))")
        #expect(swarm.summary.exitStatus?.code == .success, "\(String(describing: swarm.summary.exitStatus))")
        #expect(swarm.summary.node == "\(Self.prefix)-n1" && swarm.last?.node == swarm.summary.node)
        #expect(swarm.summary.imageID == local.summary.imageID)
        func scalars(_ outcome: Outcome) throws -> [String: Any] {
            let text = try #require(outcome.files.first?.value, "summary.json in \(outcome.files.keys.sorted())")
            return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        }
        let here = try scalars(local)
        let there = try scalars(swarm)
        #expect(here["cells"] as? Int == there["cells"] as? Int, "the same mesh: \(String(describing: here["cells"])) vs \(String(describing: there["cells"]))")
        for key in ["a", "b", "max_relative_error"] {
            let mine = try #require(here[key] as? Double), theirs = try #require(there[key] as? Double)
            #expect(abs(mine - theirs) <= 1e-9 * max(abs(mine), 1e-12), "\(key): \(mine) here, \(theirs) on the swarm")
        }
        let probes = try #require(here["probes"] as? [[String: Any]]), remote = try #require(there["probes"] as? [[String: Any]])
        #expect(probes.count == 25 && remote.count == probes.count)
        for (mine, theirs) in zip(probes, remote) {
            let v = try #require(mine["value"] as? Double), w = try #require(theirs["value"] as? Double)
            #expect(abs(v - w) <= 1e-9 * abs(v), "V(\(mine["r"] ?? "?")) = \(v) here, \(w) on the swarm")
        }
    }

    /// A launch daemon on the swarm's manager, served in-process like the executable serves it.
    private func withSwarmDaemon<T>(images: [String] = [RealDaemon.image], _ body: (String, URL) async throws -> T) async throws -> T {
        let engine = try await SwarmEngine.connect(
            manager: "unix://\(Self.base)/n1/docker.sock", sharedRoot: "\(Self.base)/shared", stopGrace: 2)
        let root = scratchDirectory("swarm")
        chmod(root.path, 0o755)
        let data = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let socket = root.appendingPathComponent("dockerlaunch.sock").path
        var configuration = DaemonConfiguration(
            socket: socket, dataRoot: data.path, allowedImages: images, maxContainers: 4, walltime: 600,
            runner: RealDaemon.runner, daemonID: "gssa-swarm-server-test-\(UUID().uuidString.prefix(8))")
        configuration.executor = .swarm
        var logger = Logger(label: "gssa.test.dockerlaunch")
        logger.logLevel = .warning
        let daemon = LaunchDaemon(configuration: configuration, engine: engine, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [LaunchServer(daemon: daemon, logger: logger)], logger: logger))
        let outcome: Result<T, any Error> = await withTaskGroup(of: (any Error)?.self) { tasks in
            tasks.addTask {
                do { try await group.run() } catch { return error }
                return nil
            }
            let result: Result<T, any Error>
            do {
                let deadline = ContinuousClock.now + .seconds(30)
                // Ready once the socket is secured (0770), not merely bound.
                func secured() -> Bool {
                    let mode = (try? FileManager.default.attributesOfItem(atPath: socket))?[.posixPermissions] as? Int
                    return mode.map { $0 & 0o777 == 0o770 } ?? false
                }
                while !secured() {
                    guard ContinuousClock.now < deadline else { throw GSSAError.server("the daemon did not listen on \(socket)") }
                    try await Task.sleep(for: .milliseconds(20))
                }
                result = .success(try await TestScope.run { try await body(socket, data) })
            } catch {
                result = .failure(error)
            }
            await group.triggerGracefulShutdown()
            for await error in tasks {
                if let error { Issue.record("the daemon's service group failed: \(error)") }
            }
            return result
        }
        await engine.shutdown()
        return try outcome.get()
    }
}
