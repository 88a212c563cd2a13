import ContainerEngine
import Foundation
import GSSA
import GSSAServer
import GSSATestSupport
import LaunchDaemon
import Logging
import ServiceLifecycle
import Testing
import NIOHTTP1

/// The real launch daemon (in-process) on the real dockerd, with the `gssa/python` image.
///
/// Needs a Docker engine, the image `gssa/python:bookworm` and the in-container runner
/// (`$GSSA_RUNNER`, default `<repo>/.build-runner/release/gssa-container`, built by
/// `scripts/build-runner`): tests using it declare ``requirements`` (skipped locally when a
/// part is missing, failing under `CI=true`).
final class RealDaemon: Sendable {
    static let image = "gssa/python:bookworm"
    let root: URL
    let socket: String
    let engine: DockerEngine

    var data: URL { root.appendingPathComponent("data") }

    static var runner: String {
        ProcessInfo.processInfo.environment["GSSA_RUNNER"]
            ?? TestServer.repositoryRoot.appendingPathComponent(".build-runner/release/gssa-container").path
    }

    /// The runner, for the suites' traits.
    static var requiresRunner: ConditionTrait {
        .requiresExecutable(runner, "set GSSA_RUNNER or run scripts/build-runner")
    }

    /// Runs `body` with a daemon served as the executable serves it (a ServiceGroup, here a
    /// child task), then shuts it down and waits for it, whether `body` returned or threw.
    static func with<T>(
        maxContainers: Int = 30, images: [String] = [image], _ body: (RealDaemon) async throws -> T
    ) async throws -> T {
        let engine = try await DockerEngine.connect()
        let root = scratchDirectory("real")
        chmod(root.path, 0o755)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("data"), withIntermediateDirectories: true)
        let socket = root.appendingPathComponent("dockerlaunch.sock").path
        let configuration = DaemonConfiguration(
            socket: socket, dataRoot: root.appendingPathComponent("data").path, allowedImages: images,
            maxContainers: maxContainers, walltime: 600, runner: runner,
            daemonID: "gssa-server-test-\(UUID().uuidString.prefix(8))")
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
                // Ready once the socket is secured (0770), not merely bound.
                let deadline = ContinuousClock.now + .seconds(30)
                while !Self.secured(socket) {
                    guard ContinuousClock.now < deadline else { throw GSSAError.server("the daemon did not listen on \(socket) within 30 s") }
                    try await Task.sleep(for: .milliseconds(20))
                }
                let daemon = RealDaemon(root: root, socket: socket, engine: engine)
                result = .success(try await TestScope.run { try await body(daemon) })
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

    private static func secured(_ socket: String) -> Bool {
        guard let mode = (try? FileManager.default.attributesOfItem(atPath: socket))?[.posixPermissions] as? Int else { return false }
        return mode & 0o777 == 0o770
    }

    private init(root: URL, socket: String, engine: DockerEngine) {
        self.engine = engine
        self.root = root
        self.socket = socket
    }

    var launcher: DaemonLauncher { DaemonLauncher(socket: socket) }
}

/// `gssa server` as a separate process (so it can be killed with SIGKILL).
final class ServerProcess {
    let process = Process()
    let port: Int

    static var executable: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("gssa")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return TestServer.repositoryRoot.appendingPathComponent(".build/debug/gssa")
    }

    init(data: URL, socket: String, port: Int) throws {
        self.port = port
        process.executableURL = Self.executable
        process.arguments = ["server", "--listen", "127.0.0.1:\(port)", "--data", data.path, "--daemon-socket", socket]
        process.currentDirectoryURL = TestServer.repositoryRoot
        let log = data.appendingPathComponent("server-\(port)-\(UUID().uuidString.prefix(4)).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    /// Waits until `GET /api/v1/api` answers.
    func waitReady(server: RemoteServer) async throws {
        for _ in 0..<200 {
            if let reply = try? await server.request(.GET, "/api/v1/api", token: nil), reply.status == .ok { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw GSSAError.server("gssa server on port \(port) did not start")
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    static func freePort() throws -> Int {
        let listener = try SilentListener()
        defer { listener.close() }
        return listener.port
    }
}
