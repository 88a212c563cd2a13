import ContainerEngine
import Foundation
import GSSACore
import LaunchClient
import LaunchDaemon
import LaunchProtocol
import Logging
import NIOCore
import ServiceLifecycle
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory tree for one test: a data root with `input/` and room for outputs.
struct Scratch {
    let root: URL

    init() throws {
        var template = Array("/tmp/gssa-daemon-test-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw GSSAError.server("mkdtemp failed") }
        self.root = URL(fileURLWithPath: String(cString: template))
        chmod(self.root.path, 0o755)
    }

    func directory(_ name: String) throws -> URL {
        let url = self.root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func write(_ text: String, to relative: String) throws {
        let url = self.root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: self.root.appendingPathComponent(relative).path)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    func remove() { try? FileManager.default.removeItem(at: self.root) }
}

/// Stand-in for the `gssa-container` runner, for tests that must not depend on it: runs
/// `/shared/input/job.sh` in `/shared/output/run` (fd 3 is the runner's stdout, for status
/// lines), writes `logs/exit_status` in the runner's format and publishes `output.final`.
let standInRunner = """
    #!/bin/sh
    mkdir -p /shared/output/logs /shared/output/run
    cd /shared/output/run
    sh /shared/input/job.sh 3>&1 >/shared/output/logs/job.out 2>/shared/output/logs/job.err
    rc=$?
    if [ "$rc" = 0 ]; then
      printf '0\\nOK' > /shared/output/logs/exit_status
    elif [ -f error_message ]; then
      printf '%s\\nError in script: %s' "$rc" "$(cat error_message)" > /shared/output/logs/exit_status
    else
      printf '%s\\nError in script: %s' "$rc" "$(tail -n 10 /shared/output/logs/job.err)" > /shared/output/logs/exit_status
    fi
    mv /shared/output /shared/output.final
    exit $rc
    """

enum DockerFixture {
    /// The image the Docker tests run: `GSSA_TEST_IMAGE`, else the gssa python image. Suites
    /// declare it with `.requiresImages(DockerFixture.image)`.
    static var image: String { ProcessInfo.processInfo.environment["GSSA_TEST_IMAGE"] ?? "gssa/python:bookworm" }
}

/// Runs `body` with the real engine and the test image, then closes the engine (awaited),
/// whether `body` returned or threw. For suites marked `.requiresDockerEngine` and
/// `.requiresImages(DockerFixture.image)`: a missing engine or image is an error here.
func withDockerEngine<T>(_ body: (DockerEngine, String) async throws -> T) async throws -> T {
    let engine = try await DockerEngine.connect()
    let outcome: Result<T, any Error>
    do {
        let image = DockerFixture.image
        guard try await engine.inspectImage(image) != nil else {
            throw GSSAError.server("the test image \(image) is not built: run `gssa images build python`")
        }
        outcome = .success(try await body(engine, image))
    } catch {
        outcome = .failure(error)
    }
    await engine.shutdown()
    return try outcome.get()
}

/// An in-process daemon on a temporary socket, served by a ServiceGroup like the executable.
final class RunningDaemon: Sendable {
    let daemon: LaunchDaemon
    let socket: String
    let scratch: Scratch

    /// Runs `body` with the daemon's service group running as a child task; then shuts it down
    /// and waits until it has stopped (and removes its containers), whether `body` returned or threw.
    static func with<T>(
        engine: any ContainerEngine, scratch: Scratch, images: [String], maxContainers: Int = 3,
        runner: String? = nil, group: String? = nil, orphanTTL: Double = 3600, daemonID: String? = nil,
        maxOutputBytes: Int64 = 2 << 30,
        _ body: (RunningDaemon) async throws -> T
    ) async throws -> T {
        let runnerPath: String
        if let runner {
            runnerPath = runner
        } else {
            runnerPath = scratch.root.appendingPathComponent("stand-in-runner").path
            try standInRunner.write(toFile: runnerPath, atomically: true, encoding: .utf8)
        }
        let socket = scratch.root.appendingPathComponent("run/dockerlaunch.sock").path
        let configuration = DaemonConfiguration(
            socket: socket, group: group, dataRoot: scratch.root.path, allowedImages: images,
            maxContainers: maxContainers, walltime: 600, orphanTTL: orphanTTL, author: "gssa-tests", org: "gssa",
            runner: runnerPath, daemonID: daemonID ?? "test-\(UUID().uuidString.prefix(8))", maxOutputBytes: maxOutputBytes)
        var logger = Logger(label: "gssa.dockerlaunch.test")
        logger.logLevel = .notice
        let daemon = LaunchDaemon(configuration: configuration, engine: engine, logger: logger)
        let server = LaunchServer(daemon: daemon, logger: logger)
        let serviceGroup = ServiceGroup(services: [server], logger: logger)
        let running = RunningDaemon(daemon: daemon, socket: socket, scratch: scratch)
        let outcome: Result<T, any Error> = await withTaskGroup(of: (any Error)?.self) { tasks in
            tasks.addTask {
                do { try await serviceGroup.run() } catch { return error }
                return nil
            }
            let result: Result<T, any Error>
            do {
                // Ready means secured, not merely bound: the daemon binds, then sets mode 0770 and
                // the group, and a caller of another uid can connect only after that.
                func secured() -> Bool {
                    var info = stat()
                    return stat(socket, &info) == 0 && info.st_mode & 0o777 == 0o770
                }
                let deadline = ContinuousClock.now + .seconds(10)
                while !secured() {
                    guard ContinuousClock.now < deadline else {
                        throw GSSAError.server("daemon did not create and secure its socket \(socket)")
                    }
                    try await Task.sleep(for: .milliseconds(25))
                }
                result = .success(try await body(running))
            } catch {
                result = .failure(error)
            }
            await serviceGroup.triggerGracefulShutdown()
            for await error in tasks {
                if let error { Issue.record("the daemon's service group failed: \(error)") }
            }
            return result
        }
        await running.removeContainers(engine)
        return try outcome.get()
    }

    private init(daemon: LaunchDaemon, socket: String, scratch: Scratch) {
        self.daemon = daemon
        self.socket = socket
        self.scratch = scratch
    }

    /// Removes every container this daemon labelled (test hygiene).
    func removeContainers(_ engine: any ContainerEngine) async {
        do {
            let mine = try await engine.listContainers(labels: [LaunchDaemon.Label.daemon: self.daemon.configuration.daemonID], all: true)
            for container in mine { try await engine.removeContainer(container.id, force: true) }
        } catch {
            Issue.record("removing the test daemon's containers: \(error)")
        }
    }
}

/// Runs `body`, failing with a clear error instead of hanging the suite (CI has a hard limit).
func withTimeout<T: Sendable>(
    _ seconds: Double = 120, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw GSSAError.server("timed out after \(seconds) s waiting for \(what)")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Runs one job to its exit event through the client (bounded by a timeout).
func runToExit(
    _ client: LaunchClient, _ arguments: StartArguments
) async throws -> (reply: RunReply, statuses: [(Double?, String)], logs: [String], result: RunResult) {
    try await withTimeout(180, "run \(arguments.guid) to finish") { try await runToExitUnbounded(client, arguments) }
}

private func runToExitUnbounded(
    _ client: LaunchClient, _ arguments: StartArguments
) async throws -> (reply: RunReply, statuses: [(Double?, String)], logs: [String], result: RunResult) {
    let reply = try await client.start(arguments)
    var statuses: [(Double?, String)] = []
    var logs: [String] = []
    for await event in client.events where event.guid == arguments.guid {
        switch event {
        case .status(_, let percentage, let message): statuses.append((percentage, message))
        case .log(_, _, let line): logs.append(line)
        case .exit(_, let result): return (reply, statuses, logs, result)
        }
    }
    throw GSSAError.server("connection closed before run \(arguments.guid) finished")
}

/// A blocking Unix-socket connection for byte-level protocol tests.
final class RawConnection {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(path: String) throws {
        self.fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes.prefix(raw.count - 1))
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(self.fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw GSSAError.server("connect \(path): errno \(errno)") }
    }

    deinit { close(self.fd) }

    func send(_ text: String) throws { try self.send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(self.fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw GSSAError.server("write failed: errno \(errno)") }
            offset += n
        }
    }

    /// Next line from the daemon, waiting at most `timeout` seconds.
    func line(timeout: Double = 30) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let newline = self.buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: self.buffer[..<newline], as: UTF8.self)
                self.buffer.removeSubrange(...newline)
                return line
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw GSSAError.server("no line within \(timeout) s") }
            var pfd = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(remaining * 1000)) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = read(self.fd, &chunk, chunk.count)
            guard n > 0 else { throw GSSAError.server("connection closed") }
            self.buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// Decoded reply head of the next line.
    func reply(timeout: Double = 30) throws -> (success: Bool, message: String, raw: String) {
        let text = try self.line(timeout: timeout)
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
        let message = object["message"].map { value -> String in
            if let s = value as? String { return s }
            let data = (try? JSONSerialization.data(withJSONObject: value)) ?? Data()
            return String(decoding: data, as: UTF8.self)
        } ?? ""
        return ((object["success"] as? Bool) ?? false, message, text)
    }
}

/// Engine, image and an in-process daemon on a temporary socket, torn down (with its
/// containers) afterwards. For suites marked `.requiresDockerEngine` and `.requiresImages(DockerFixture.image)`.
func withDockerDaemon(
    group: String? = nil, maxOutputBytes: Int64 = 2 << 30, maxContainers: Int = 3, runner: String? = nil,
    _ body: (DockerEngine, String, RunningDaemon) async throws -> Void
) async throws {
    try await withDockerEngine { engine, image in
        let scratch = try Scratch()
        defer { scratch.remove() }
        try await RunningDaemon.with(
            engine: engine, scratch: scratch, images: [image], maxContainers: maxContainers, runner: runner, group: group,
            maxOutputBytes: maxOutputBytes
        ) { daemon in
            try await body(engine, image, daemon)
        }
    }
}

/// A shell job for the stand-in runner: `job.sh` in `<guid>/input`, output `<guid>/output`.
func shellJob(_ scratch: Scratch, _ guid: String, image: String, _ script: String) throws -> StartArguments {
    try scratch.write(script, to: "\(guid)/input/job.sh")
    return StartArguments(
        guid: guid, image: image, input: scratch.root.appendingPathComponent("\(guid)/input").path,
        output: scratch.root.appendingPathComponent("\(guid)/output").path, logs: true)
}

/// Names of everything under `root` (recursively), for "nothing was left behind" checks.
func tree(_ root: URL) -> [String] {
    (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []).sorted()
}
