import ContainerEngine
import Foundation
import GSSAArchive
import GSSACore
import Synchronization

/// A ``ContainerEngine`` that keeps containers in memory and runs a Swift closure as each
/// container's process. Unit tests use it to drive the daemon's decisions deterministically
/// and to inject the faults the real engine produces only rarely.
///
/// Files put with ``putArchive(_:path:tar:)`` land in a per-container file map that the
/// program can read and write; ``getArchive(_:path:to:)`` tars a directory of that map.
///
/// Container processes run as children of ``run()``, which the test keeps running (beside
/// the daemon's) for as long as containers may be started.
public final class InMemoryEngine: ContainerEngine, Sendable {
    /// Faults to inject. Each applies to every matching call until cleared.
    public struct Faults: Sendable, Hashable {
        public var createFails = false
        public var startFails = false
        public var putArchiveFails = false
        public var getArchiveFails = false
        /// Kill answers "no such container" (as after a concurrent removal).
        public var killSaysNoSuchContainer = false
        /// Remove fails (as while the engine restarts).
        public var removeFails = false
        public init() {}
    }

    /// What a container's process sees.
    public final class Process: Sendable {
        fileprivate let box: Box
        fileprivate init(box: Box) { self.box = box }

        public var spec: ContainerSpec { self.box.spec }
        /// Writes a line to the container's stdout.
        public func print(_ line: String) { self.box.emit(.stdout, Array((line + "\n").utf8)) }
        public func printError(_ line: String) { self.box.emit(.stderr, Array((line + "\n").utf8)) }
        public func file(_ path: String) -> Data? { self.box.state.withLock { $0.files[path] } }
        public func files(under prefix: String) -> [String: Data] {
            self.box.state.withLock { $0.files.filter { $0.key.hasPrefix(prefix) } }
        }
        public func write(_ path: String, _ data: Data) { self.box.state.withLock { $0.files[path] = data } }
        public func write(_ path: String, _ text: String) { self.write(path, Data(text.utf8)) }
        /// Marks the container as OOM-killed (the program should then return 137).
        public func markOOM() { self.box.state.withLock { $0.oomKilled = true } }
    }

    /// A container's process: returns the exit code. Cancellation means it was killed.
    public typealias Program = @Sendable (Process) async -> Int

    private struct State {
        var images: [String: ImageInfo]
        var containers: [String: Box] = [:]
        var nextID = 1
        var faults = Faults()
        var running = false
    }

    private let state: Mutex<State>
    private let program: @Sendable (ContainerSpec) -> Program
    private let processes = OwnedTasks()

    /// - Parameters:
    ///   - images: references known to the engine, with their ID and default user.
    ///   - program: picks the process to run for a container.
    public init(images: [String: ImageInfo], program: @escaping @Sendable (ContainerSpec) -> Program) {
        self.state = Mutex(State(images: images))
        self.program = program
    }

    /// Runs the containers' processes until the calling task is cancelled (then every process
    /// is killed and waited for). A second concurrent call returns at once: the first owns them.
    public func run() async {
        let first = self.state.withLock { state in
            defer { state.running = true }
            return !state.running
        }
        guard first else { return }
        await self.processes.run()
    }

    public var faults: Faults {
        get { self.state.withLock { $0.faults } }
        set { self.state.withLock { $0.faults = newValue } }
    }

    /// IDs of all containers that exist (any state).
    public var containerIDs: [String] { self.state.withLock { Array($0.containers.keys) } }

    /// Simulates an engine restart without live-restore: every running container dies (137).
    public func loseRunningContainers() {
        for box in self.state.withLock({ Array($0.containers.values) }) { box.kill(exitCode: 137) }
    }

    private func container(_ id: String) -> Box? { self.state.withLock { $0.containers[id] } }

    private func box(_ id: String) throws -> Box {
        guard let box = self.container(id) else {
            throw GSSAError.server("No such container: \(id)")
        }
        return box
    }

    // MARK: ContainerEngine

    public func info() async throws -> EngineInfo { EngineInfo(version: "in-memory", apiVersion: "1.41") }

    public func inspectImage(_ reference: String) async throws -> ImageInfo? {
        self.state.withLock { $0.images[reference] }
    }

    public func createContainer(_ spec: ContainerSpec, name: String?) async throws -> String {
        try self.state.withLock { state in
            if state.faults.createFails { throw GSSAError.server("injected: create failed") }
            guard let image = state.images[spec.image] else { throw GSSAError.server("No such image: \(spec.image)") }
            let id = String(format: "%064x", state.nextID)
            state.nextID += 1
            state.containers[id] = Box(id: id, spec: spec, imageID: image.id)
            return id
        }
    }

    public func startContainer(_ id: String) async throws {
        if self.faults.startFails { throw GSSAError.server("injected: start failed") }
        let box = try self.box(id)
        box.start(self.program(box.spec), in: self.processes)
    }

    public func waitContainer(_ id: String) async throws -> Int {
        try await self.box(id).waitForExit()
    }

    public func logs(_ id: String, follow: Bool, into consume: (LogChunk) async throws -> Void) async throws {
        for try await chunk in try self.box(id).logStream(follow: follow) { try await consume(chunk) }
    }

    public func killContainer(_ id: String, signal: String) async throws {
        if self.faults.killSaysNoSuchContainer { throw GSSAError.server("injected: No such container: \(id)") }
        try self.box(id).kill(exitCode: 137)
    }

    public func removeContainer(_ id: String, force: Bool) async throws {
        if self.faults.removeFails { throw GSSAError.server("injected: remove failed (engine restarting)") }
        guard let box = self.container(id) else { return }
        if box.isRunning {
            guard force else { throw GSSAError.server("cannot remove running container \(id)") }
            box.kill(exitCode: 137)
        }
        _ = self.state.withLock { $0.containers.removeValue(forKey: id) }
    }

    public func inspectContainer(_ id: String) async throws -> ContainerInspection? {
        guard let box = self.container(id) else { return nil }
        return box.inspection
    }

    public func putArchive(_ id: String, path: String, tar: Data) async throws {
        if self.faults.putArchiveFails { throw GSSAError.server("injected: archive upload failed") }
        let box = try self.box(id)
        let base = path.hasSuffix("/") ? path : path + "/"
        let files = try TarReader.readAll(tar)
        box.state.withLock { state in
            for file in files { state.files[base + file.path] = file.data }
        }
    }

    public func streamArchive(
        _ id: String, path: String, into consume: @Sendable ([UInt8]) async throws -> Void
    ) async throws -> Bool {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-mem-\(UUID().uuidString).tar")
        defer { try? FileManager.default.removeItem(at: temp) }
        guard try await self.getArchive(id, path: path, to: temp) else { return false }
        let tar = try Data(contentsOf: temp)
        var offset = 0
        while offset < tar.count {
            let end = min(tar.count, offset + 64 * 1024)
            try await consume(Array(tar[offset..<end]))
            offset = end
        }
        return true
    }

    public func getArchive(_ id: String, path: String, to file: URL) async throws -> Bool {
        if self.faults.getArchiveFails { throw GSSAError.server("injected: archive download failed") }
        let box = try self.box(id)
        let prefix = path.hasSuffix("/") ? path : path + "/"
        let name = (path as NSString).lastPathComponent
        let files = box.state.withLock { $0.files.filter { $0.key.hasPrefix(prefix) } }
        guard !files.isEmpty else { return false }
        var entries = [TarEntry(path: name, content: .directory, mode: 0o755)]
        var directories: Set<String> = [name]
        for (key, data) in files.sorted(by: { $0.key < $1.key }) {
            let relative = name + "/" + key.dropFirst(prefix.count)
            var parent = (relative as NSString).deletingLastPathComponent
            var missing: [String] = []
            while !parent.isEmpty, !directories.contains(parent) {
                missing.append(parent)
                parent = (parent as NSString).deletingLastPathComponent
            }
            for directory in missing.reversed() {
                directories.insert(directory)
                entries.append(TarEntry(path: directory, content: .directory, mode: 0o755))
            }
            entries.append(TarEntry(path: relative, content: .data(data), mode: 0o644))
        }
        try TarBuilder.write(entries, to: file)
        return true
    }

    public func listContainers(labels: [String: String], all: Bool) async throws -> [ContainerSummary] {
        self.state.withLock { Array($0.containers.values) }
            .map { $0.inspection }
            .filter { inspection in
                (all || inspection.isRunning) && labels.allSatisfy { inspection.labels[$0.key] == $0.value }
            }
            .map { ContainerSummary(id: $0.id, state: $0.status, labels: $0.labels) }
    }

    public func pauseContainer(_ id: String) async throws { try self.box(id).setPaused(true) }
    public func unpauseContainer(_ id: String) async throws { try self.box(id).setPaused(false) }
}

/// One simulated container.
private final class Box: Sendable {
    struct State {
        var files: [String: Data] = [:]
        var oomKilled = false
        var status: ContainerInspection.Status = .created
        var exitCode = 0
        var finishedAt: Date?
        var log: [LogChunk] = []
        var followers: [UUID: AsyncThrowingStream<LogChunk, any Error>.Continuation] = [:]
        var waiters: [CheckedContinuation<Int, Never>] = []
        var process: OwnedTask?
    }

    let id: String
    let spec: ContainerSpec
    let imageID: String
    let state = Mutex(State())

    init(id: String, spec: ContainerSpec, imageID: String) {
        self.id = id
        self.spec = spec
        self.imageID = imageID
    }

    var isRunning: Bool { self.state.withLock { $0.status == .running || $0.status == .paused } }

    var inspection: ContainerInspection {
        self.state.withLock { state in
            ContainerInspection(
                id: self.id, status: state.status, exitCode: state.exitCode, oomKilled: state.oomKilled,
                imageID: self.imageID, labels: self.spec.labels, finishedAt: state.finishedAt)
        }
    }

    /// Starts the program as a child of the engine's ``InMemoryEngine/run()``.
    func start(_ program: @escaping InMemoryEngine.Program, in processes: OwnedTasks) {
        let process = InMemoryEngine.Process(box: self)
        // Under the lock, so that a kill always finds the process it must cancel.
        self.state.withLock { state in
            guard state.status == .created else { return }
            state.status = .running
            state.process = processes.submit { [self] in
                let code = await program(process)
                self.exit(code)
            }
        }
    }

    func emit(_ stream: LogChunk.Stream, _ bytes: [UInt8]) {
        let chunk = LogChunk(stream: stream, bytes: bytes)
        let followers = self.state.withLock { state in
            state.log.append(chunk)
            return Array(state.followers.values)
        }
        for follower in followers { follower.yield(chunk) }
    }

    func kill(exitCode: Int) {
        let task = self.state.withLock { state -> OwnedTask? in
            guard state.status == .running || state.status == .paused else { return nil }
            return state.process
        }
        task?.cancel()
        self.exit(exitCode)
    }

    func setPaused(_ paused: Bool) throws {
        try self.state.withLock { state in
            switch (state.status, paused) {
            case (.running, true): state.status = .paused
            case (.paused, false): state.status = .running
            default: throw GSSAError.server("container \(self.id) is \(state.status.rawValue)")
            }
        }
    }

    private func exit(_ code: Int) {
        let (waiters, followers) = self.state.withLock {
            state -> ([CheckedContinuation<Int, Never>], [AsyncThrowingStream<LogChunk, any Error>.Continuation]) in
            guard state.status == .running || state.status == .paused else { return ([], []) }
            state.status = .exited
            state.exitCode = code
            state.finishedAt = Date()
            defer {
                state.waiters.removeAll()
                state.followers.removeAll()
            }
            return (state.waiters, Array(state.followers.values))
        }
        for waiter in waiters { waiter.resume(returning: code) }
        for follower in followers { follower.finish() }
    }

    func waitForExit() async -> Int {
        await withCheckedContinuation { continuation in
            let done = self.state.withLock { state -> Int? in
                if state.status == .exited || state.status == .dead { return state.exitCode }
                state.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    func logStream(follow: Bool) -> AsyncThrowingStream<LogChunk, any Error> {
        let (stream, continuation) = AsyncThrowingStream<LogChunk, any Error>.makeStream()
        let key = UUID()
        // History and registration under one lock, so no chunk is lost or reordered.
        let live = self.state.withLock { state -> Bool in
            let live = follow && (state.status == .running || state.status == .paused || state.status == .created)
            for chunk in state.log { continuation.yield(chunk) }
            if live { state.followers[key] = continuation }
            return live
        }
        if live {
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.followers.removeValue(forKey: key) }
            }
        } else {
            continuation.finish()
        }
        return stream
    }
}
