import ContainerEngine
import Foundation
import GSSA
import GSSAServer
import LaunchDaemon
import Logging
import ServiceLifecycle
import Testing

/// The real launch daemon (in-process) on the real dockerd, with the `gssa/python` image.
///
/// Needs a Docker engine, the image `gssa/python:bookworm` and the in-container runner
/// (`$GSSA_RUNNER`, default `<repo>/.build-runner/release/gssa-container`, built by
/// `scripts/build-runner`). When one is missing the test fails under `CI=true` and is skipped
/// (with a message) otherwise.
final class RealDaemon: Sendable {
    static let image = "gssa/python:bookworm"
    let root: URL
    let socket: String
    let group: ServiceGroup
    let task: Task<Void, Error>
    let engine: DockerEngine

    var data: URL { root.appendingPathComponent("data") }

    static var runner: String {
        ProcessInfo.processInfo.environment["GSSA_RUNNER"]
            ?? TestServer.repositoryRoot.appendingPathComponent(".build-runner/release/gssa-container").path
    }

    /// Starts a daemon, or returns nil after recording why (an issue under CI).
    static func start(maxContainers: Int = 30, images: [String] = [image]) async -> RealDaemon? {
        func missing(_ what: String) -> RealDaemon? {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("CI=true but \(what)")
            } else {
                print("skipping real-daemon test: \(what)")
            }
            return nil
        }
        guard FileManager.default.isExecutableFile(atPath: runner) else {
            return missing("the runner \(runner) is missing (set GSSA_RUNNER or run scripts/build-runner)")
        }
        let engine: DockerEngine
        do { engine = try await DockerEngine.connect() } catch { return missing("no Docker engine answers: \(error)") }
        let inspect = Process()
        inspect.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        inspect.arguments = ["docker", "image", "inspect"] + images
        inspect.standardOutput = FileHandle.nullDevice
        inspect.standardError = FileHandle.nullDevice
        do { try inspect.run() } catch { return missing("cannot run docker: \(error)") }
        inspect.waitUntilExit()
        guard inspect.terminationStatus == 0 else { return missing("an image of \(images) is not built") }

        let root = scratchDirectory("real")
        chmod(root.path, 0o755)
        try? FileManager.default.createDirectory(at: root.appendingPathComponent("data"), withIntermediateDirectories: true)
        let socket = root.appendingPathComponent("dockerlaunch.sock").path
        let configuration = DaemonConfiguration(
            socket: socket, dataRoot: root.appendingPathComponent("data").path, allowedImages: images,
            maxContainers: maxContainers, walltime: 600, runner: runner,
            daemonID: "gssa-server-test-\(UUID().uuidString.prefix(8))")
        var logger = Logger(label: "gssa.test.dockerlaunch")
        logger.logLevel = .warning
        let daemon = LaunchDaemon(configuration: configuration, engine: engine, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [LaunchServer(daemon: daemon, logger: logger)], logger: logger))
        let task = Task { try await group.run() }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return RealDaemon(root: root, socket: socket, group: group, task: task, engine: engine)
    }

    private init(root: URL, socket: String, group: ServiceGroup, task: Task<Void, Error>, engine: DockerEngine) {
        self.engine = engine
        self.root = root
        self.socket = socket
        self.group = group
        self.task = task
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        await engine.shutdown()
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
