import ContainerEngine
import ContainerEngineTesting
import Foundation
import GSSACore
import GSSAWire
import LaunchDaemon
import LaunchProtocol
import Logging
import NIOCore

/// Programs for ``InMemoryEngine`` containers, read from `/shared/input/job.txt`:
/// `status PCT MESSAGE`, `say TEXT`, `sleep SECONDS`, `await HOSTFILE`, `write PATH TEXT`, `hang`, `oom`, `runner-oom`, `exit N`.
let scriptedProgram: @Sendable (ContainerSpec) -> InMemoryEngine.Program = { _ in
    { process in
        let script = process.file("/shared/input/job.txt").map { String(decoding: $0, as: UTF8.self) } ?? ""
        for line in script.split(separator: "\n") {
            let words = line.split(separator: " ", maxSplits: 2).map(String.init)
            switch words.first {
            case "status":
                process.print("##gssa-status## \(words[1])|\(words.count > 2 ? words[2] : "")")
            case "say":
                process.print(words.dropFirst().joined(separator: " "))
            case "sleep":
                do { try await Task.sleep(for: .seconds(Double(words[1]) ?? 0)) } catch { return 137 }
            case "write":
                process.write("/shared/output/" + words[1], words.count > 2 ? words[2] : "")
            case "await":
                // Blocks until the host file words[1] exists (a test-controlled gate).
                while !FileManager.default.fileExists(atPath: words[1]) {
                    do { try await Task.sleep(for: .milliseconds(5)) } catch { return 137 }
                }
            case "hang":
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                return 137
            case "oom":
                process.markOOM()
                return 137
            case "runner-oom":
                // What the runner writes when its cgroup's oom_kill count grew; dockerd's flag stays false.
                process.write("/shared/output/logs/exit_status", ExitStatus.outOfMemoryByRunner.fileContents)
                return 137
            case "exit":
                let code = Int(words[1]) ?? 1
                process.write("/shared/output/logs/exit_status", code == 0 ? "0\nOK" : "\(code)\nError in script: failed")
                return code
            default:
                continue
            }
        }
        process.write("/shared/output/logs/exit_status", "0\nOK")
        return 0
    }
}

/// Drives ``LaunchDaemon/serve(frames:peer:send:)`` without a socket, as one peer.
///
/// Made inside ``withRunning(_:_:)``: the connection is served as a child of that scope (its
/// connection owner, a task-local), so it never outlives the test.
actor Harness {
    /// The connections of the innermost ``withRunning(_:_:)`` scope.
    @TaskLocal static var connections: OwnedTasks?

    let daemon: LaunchDaemon
    let peer: PeerCredentials
    private let input: AsyncStream<JSONLineFrame>.Continuation
    private var output: AsyncStream<ByteBuffer>.AsyncIterator
    private let connection: OwnedTask
    private var decoder = JSONLineFrameDecoder(maxFrameLength: 4096)
    private(set) var events: [LaunchEvent] = []

    init(_ daemon: LaunchDaemon, uid: UInt32) {
        guard let connections = Self.connections else { preconditionFailure("Harness is made inside withRunning") }
        self.daemon = daemon
        self.peer = PeerCredentials(uid: uid, gid: uid, pid: 1)
        let (frames, input) = AsyncStream<JSONLineFrame>.makeStream()
        let (out, sink) = AsyncStream<ByteBuffer>.makeStream()
        self.input = input
        self.output = out.makeAsyncIterator()
        let peer = self.peer
        self.connection = connections.submit {
            await daemon.serve(frames: frames, peer: peer) { sink.yield($0) }
            sink.finish()
        }
    }

    /// Feeds raw bytes through the real frame decoder.
    func feed(_ text: String) {
        self.feed(bytes: Array(text.utf8))
    }

    /// Feeds raw bytes (any bytes at all) through the real frame decoder; returns the frames it made.
    @discardableResult
    func feed(bytes: [UInt8]) -> Int {
        var buffer = ByteBuffer(bytes: bytes)
        var count = 0
        while let frame = self.decoder.next(from: &buffer) {
            self.input.yield(frame)
            count += 1
        }
        return count
    }

    /// Next reply (skipping and recording events), failing after a minute instead of hanging.
    func reply() async throws -> (success: Bool, line: String) {
        try await withTimeout(60, "a reply") { try await self.unboundedReply() }
    }

    private func unboundedReply() async throws -> (success: Bool, line: String) {
        while let buffer = await self.nextOutput() {
            let head = try LaunchWire.decode(LaunchFrameHead.self, from: buffer)
            if head.event != nil {
                self.events.append(try LaunchWire.decode(LaunchEvent.self, from: buffer))
                continue
            }
            return (head.success ?? false, String(buffer: buffer))
        }
        throw GSSAError.server("connection ended")
    }

    func request<A: Codable & Sendable>(_ command: LaunchCommand, _ arguments: A?) async throws -> (success: Bool, line: String) {
        let frame = try LaunchWire.frame(LaunchRequest(command, arguments))
        self.feed(String(buffer: frame))
        return try await self.reply()
    }

    /// Reads frames until the run's exit event, failing after a minute instead of hanging.
    func exit(of guid: String) async throws -> RunResult {
        try await withTimeout(60, "the exit of \(guid)") { try await self.unboundedExit(of: guid) }
    }

    private func unboundedExit(of guid: String) async throws -> RunResult {
        if let done = self.events.first(where: { if case .exit(guid, _) = $0 { true } else { false } }),
            case .exit(_, let result) = done
        {
            return result
        }
        while let buffer = await self.nextOutput() {
            let event = try LaunchWire.decode(LaunchEvent.self, from: buffer)
            self.events.append(event)
            if case .exit(let g, let result) = event, g == guid { return result }
        }
        throw GSSAError.server("connection ended before exit of \(guid)")
    }

    /// The next frame the daemon sent (the iterator is a reference to the stream's storage:
    /// copied out and back, since a mutating async call cannot hold the actor's property).
    private func nextOutput() async -> ByteBuffer? {
        var iterator = self.output
        let buffer = await iterator.next(isolation: self)
        self.output = iterator
        return buffer
    }

    func close() async {
        self.input.finish()
        await self.connection.wait()
    }
}

func memoryDaemon(
    _ engine: InMemoryEngine, scratch: Scratch, maxContainers: Int = 2, orphanTTL: Double = 3600,
    daemonID: String = "mem-daemon", maxInputBytes: Int64 = 1 << 30, maxOutputBytes: Int64 = 2 << 30,
    maxOutputEntries: Int = 100_000
) throws -> LaunchDaemon {
    let runner = scratch.root.appendingPathComponent("runner")
    try "#!/bin/sh\n".write(to: runner, atomically: true, encoding: .utf8)
    let configuration = DaemonConfiguration(
        socket: scratch.root.appendingPathComponent("d.sock").path, dataRoot: scratch.root.path,
        allowedImages: ["gssa/test"], maxContainers: maxContainers, orphanTTL: orphanTTL, runner: runner.path,
        daemonID: daemonID, maxInputBytes: maxInputBytes, maxOutputBytes: maxOutputBytes,
        maxOutputEntries: maxOutputEntries)
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return LaunchDaemon(configuration: configuration, engine: engine, logger: logger)
}

func memoryEngine() -> InMemoryEngine {
    InMemoryEngine(images: ["gssa/test": ImageInfo(id: "sha256:feed", user: "")], program: scriptedProgram)
}

/// START arguments for a job script in a fresh input directory. The run's directory is left
/// writable by everyone, so that any test uid may have its output created there (the daemon
/// creates outputs with the caller's own rights).
func job(_ scratch: Scratch, _ guid: String, _ script: String, walltime: Double? = nil) throws -> StartArguments {
    try scratch.write(script, to: "\(guid)/input/job.txt")
    chmod(scratch.root.appendingPathComponent(guid).path, 0o777)
    return StartArguments(
        guid: guid, image: "gssa/test", input: scratch.root.appendingPathComponent("\(guid)/input").path,
        output: scratch.root.appendingPathComponent("\(guid)/output").path, walltime: walltime)
}

/// Runs `body` while `daemon`'s background work (supervisors, collections, timers) runs, and
/// its in-memory engine's container processes; then stops both and waits for them, whether
/// `body` returned or threw.
func withRunning<T>(_ daemon: LaunchDaemon, _ body: (LaunchDaemon) async throws -> T) async throws -> T {
    let connections = OwnedTasks()
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await daemon.run() }
        group.addTask { await connections.run() }
        // An engine shared by two daemons is run by the outer scope; the inner call returns at once.
        if let engine = daemon.engine as? InMemoryEngine { group.addTask { await engine.run() } }
        do {
            let result = try await Harness.$connections.withValue(connections) { try await body(daemon) }
            group.cancelAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}
