import Foundation
import GSSA
import GSSAServer
import LaunchClient
import Synchronization
import Testing

/// `gssa-dockerlaunch` as a separate process, so that it can be killed with SIGKILL and
/// restarted on the same socket and daemon ID (the restart adopts its containers).
final class DaemonProcess: Sendable {
    let root: URL
    let socket: String
    let daemonID: String
    let configuration: URL
    let dockerHost: String?
    /// The running child (replaced on restart).
    private let current = Mutex<Process?>(nil)
    var process: Process? { current.withLock { $0 } }

    var data: URL { root.appendingPathComponent("data") }
    var launcher: DaemonLauncher { DaemonLauncher(socket: socket) }

    static var executable: URL { ServerProcess.executable.deletingLastPathComponent().appendingPathComponent("gssa-dockerlaunch") }

    /// Writes the configuration and starts the daemon. `dockerSocket`: a private engine.
    init(maxContainers: Int, images: [String] = [RealDaemon.image], dockerSocket: String? = nil) async throws {
        root = scratchDirectory("daemon")
        chmod(root.path, 0o755)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("data"), withIntermediateDirectories: true)
        socket = root.appendingPathComponent("dockerlaunch.sock").path
        daemonID = "gssa-fault-test-\(UUID().uuidString.prefix(8))"
        dockerHost = dockerSocket
        configuration = root.appendingPathComponent("dockerlaunch.yml")
        let quoted = images.map { "\"\($0)\"" }.joined(separator: ", ")
        var yaml = """
            socket: "\(socket)"
            data_root: "\(root.appendingPathComponent("data").path)"
            allowed_images: [\(quoted)]
            max_containers: \(maxContainers)
            runner: "\(RealDaemon.runner)"
            daemon_id: "\(daemonID)"
            walltime: 600
            stop_grace: 2

            """
        if let dockerSocket { yaml += "docker_socket: \"\(dockerSocket)\"\n" }
        try yaml.write(to: configuration, atomically: true, encoding: .utf8)
        try await start()
    }

    /// Starts (or restarts) the daemon process and waits until it answers.
    func start() async throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["--config", configuration.path, "--log-level", "info"]
        let log = root.appendingPathComponent("dockerlaunch-\(UUID().uuidString.prefix(4)).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        current.withLock { $0 = process }
        // A bound, not a wait: it returns as soon as USAGE answers.
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if (try? await launcher.usage()) != nil { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let tail = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        throw GSSAError.server("gssa-dockerlaunch did not come up:\n\(tail.suffix(2000))")
    }

    func kill9() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// For `defer`: SIGKILL, then removal of every container this daemon left.
    func cleanup() {
        kill9()
        for id in containers() { Self.docker(["rm", "-f", id], host: dockerHost) }
    }

    /// Graceful stop, then removal of every container this daemon left (by its label).
    func stop() async {
        if let process, process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        for id in containers() { _ = Self.docker(["rm", "-f", id], host: dockerHost) }
    }

    /// IDs of the containers labelled with this daemon's ID (probes included).
    func containers(guid: String? = nil) -> [String] {
        var arguments = ["ps", "-aq", "--filter", "label=gssa.daemon=\(daemonID)"]
        if let guid { arguments += ["--filter", "label=gssa.guid=\(guid.uppercased())"] }
        let output = Self.docker(arguments, host: dockerHost)
        return output.split(whereSeparator: \.isNewline).map(String.init)
    }

    /// Runs a program to its end, output discarded; its exit status (-1 if it cannot start).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs the docker CLI (against `host` when given) and returns its stdout.
    @discardableResult
    static func docker(_ arguments: [String], host: String? = nil) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["docker"] + (host.map { ["-H", "unix://\($0)"] } ?? []) + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return "" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

/// Polls `condition` every 100 ms until it holds or `seconds` pass; returns whether it held.
func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}
