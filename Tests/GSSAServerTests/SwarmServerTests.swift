import ContainerEngine
import Foundation
import GSSA
import GSSAArchive
import GSSAServer
import GSSATestSupport
import LaunchDaemon
import Logging
import NIOHTTP1
import ServiceLifecycle
import Testing

/// The server, unchanged, on a launch daemon with `executor: swarm` (a real 2-node swarm from
/// scripts/swarm-up): the python demo gives the same results as on the local executor, and the
/// node that ran it is in the run's summary (`node`) and properties.
@Suite(
    "Server on the swarm executor", .serialized, .requiresDockerEngine, .requiresImages(RealDaemon.image),
    RealDaemon.requiresRunner, .requiresTool("nsenter"))
struct SwarmServerTests {
    static let base = "/var/lib/gssa-swarm-server-test"
    static let environment: [String: String] = ProcessInfo.processInfo.environment.merging([
        "GSSA_SWARM_DIR": base, "GSSA_SWARM_PREFIX": "gssa-sws", "GSSA_SWARM_SUBNET": "10.79.0",
        "GSSA_SWARM_IMAGES": RealDaemon.image,
    ]) { $1 }

    static func script(_ name: String, _ arguments: [String] = []) async throws -> SpawnedProcess {
        try await SpawnedProcess.run(
            TestServer.repositoryRoot.appendingPathComponent("scripts/\(name)").path, arguments, environment: environment)
    }

    /// The demo through the server: its summary.json, the run's summary and properties.
    private func demo(_ launcher: DaemonLauncher, data: URL) async throws -> ([String: String], SimulationSummary, [String: String]) {
        try await TestServer.withServer(launcher: launcher, data: data) { server in
            let guid = newGUID()
            let finalized = try await server.submit(
                guid: guid, xml: try TestServer.fixture("demo.xml"), token: server.alice, archive: try TestServer.demoArchive())
            #expect(finalized.status == .ok, "\(String(decoding: finalized.body, as: UTF8.self))")
            let recorder = await EventRecorder.connect(base: server.base, token: server.alice, until: guid)
            #expect(try await server.start(guid: guid, token: server.alice).status == .accepted)
            let events = try await recorder.finish().filter { $0.guid == guid }
            #expect(events.last?.type == .complete, "\(events.map { "\($0.type) \($0.status?.message ?? "")" })")
            let summary = try await server.summary(guid, token: server.alice)
            let properties = try await server.request(.GET, "/api/v1/simulations/\(guid)/properties", token: server.alice)
                .decode([String: String].self)
            let bundle = try await server.request(.GET, "/api/v1/simulations/\(guid)/results", token: server.alice)
            let url = scratchDirectory("swarm-bundle").appendingPathComponent("results.tar.gz")
            try bundle.body.write(to: url)
            let extracted = scratchDirectory("swarm-extract")
            var files: [String: String] = [:]
            for entry in try TarGzReader.extract(url, into: extracted) where entry.name.contains("/output/run/") {
                // The demo's results, by their path under the run (the GUID differs).
                let relative = String(entry.name.split(separator: "/output/run/", maxSplits: 1).last ?? "")
                if let text = try? String(contentsOf: extracted.appendingPathComponent(entry.name), encoding: .utf8) {
                    files[relative] = text
                }
            }
            return (files, summary, properties)
        }
    }

    @Test func pythonDemoOnTheSwarmMatchesTheLocalRunAndNamesItsNode() async throws {
        let (localFiles, localSummary, _) = try await RealDaemon.with { daemon in try await demo(daemon.launcher, data: daemon.data) }
        #expect(localSummary.exitStatus?.code == .success && localSummary.node == nil)
        _ = try await Self.script("swarm-down")
        let up = try await Self.script("swarm-up", ["2"])
        try #require(up.status == 0, "scripts/swarm-up: \(up.stderrText)")
        let outcome: Result<([String: String], SimulationSummary, [String: String]), any Error>
        do {
            outcome = .success(try await self.withSwarmDaemon { socket, data in try await demo(DaemonLauncher(socket: socket), data: data) })
        } catch {
            outcome = .failure(error)
        }
        let down = try await Self.script("swarm-down")
        #expect(down.status == 0, "scripts/swarm-down: \(down.stderrText)")
        let (files, summary, properties) = try outcome.get()
        #expect(summary.exitStatus?.code == .success, "\(String(describing: summary.exitStatus))")
        #expect(!files.isEmpty && files == localFiles, "the same results as the local run: \(files.keys.sorted()) vs \(localFiles.keys.sorted())")
        let node = try #require(summary.node, "the summary names the node")
        #expect(node.hasPrefix("gssa-sws-n"))
        #expect(properties["node"] == node)
        #expect(summary.imageID == localSummary.imageID, "the same image ID on the node as here")
    }

    /// A launch daemon on the swarm's manager, served in-process like the executable serves it.
    private func withSwarmDaemon<T>(_ body: (String, URL) async throws -> T) async throws -> T {
        let engine = try await SwarmEngine.connect(
            manager: "unix://\(Self.base)/n1/docker.sock", sharedRoot: "\(Self.base)/shared", stopGrace: 2)
        let root = scratchDirectory("swarm")
        chmod(root.path, 0o755)
        let data = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let socket = root.appendingPathComponent("dockerlaunch.sock").path
        var configuration = DaemonConfiguration(
            socket: socket, dataRoot: data.path, allowedImages: [RealDaemon.image], maxContainers: 4, walltime: 600,
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
