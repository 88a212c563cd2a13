import ContainerEngine
import Foundation
import GSSAArchive
import GSSACore

/// A ``ContainerEngine`` that keeps containers in memory and runs a Swift closure as each
/// container's process. Unit tests use it to drive the daemon's decisions deterministically
/// and to inject the faults the real engine produces only rarely.
///
/// Files put with ``putArchive(_:path:tar:)`` land in a per-container file map that the
/// program can read and write; ``getArchive(_:path:to:)`` tars a directory of that map.
public final class InMemoryEngine: ContainerEngine, @unchecked Sendable {
    /// Faults to inject. Each applies to every matching call until cleared.
    public struct Faults: Sendable, Hashable {
        public var createFails = false
        public var startFails = false
        public var putArchiveFails = false
        public var getArchiveFails = false
        /// Kill answers "no such container" (as after a concurrent removal).
        public var killSaysNoSuchContainer = false
        public init() {}
    }

    /// What a container's process sees.
    public final class Process: @unchecked Sendable {
        fileprivate let box: Box
        fileprivate init(box: Box) { self.box = box }

        public var spec: ContainerSpec { self.box.spec }
        /// Writes a line to the container's stdout.
        public func print(_ line: String) { self.box.emit(.stdout, Array((line + "\n").utf8)) }
        public func printError(_ line: String) { self.box.emit(.stderr, Array((line + "\n").utf8)) }
        public func file(_ path: String) -> Data? { self.box.withLock { self.box.files[path] } }
        public func files(under prefix: String) -> [String: Data] {
            self.box.withLock { self.box.files.filter { $0.key.hasPrefix(prefix) } }
        }
        public func write(_ path: String, _ data: Data) { self.box.withLock { self.box.files[path] = data } }
        public func write(_ path: String, _ text: String) { self.write(path, Data(text.utf8)) }
        /// Marks the container as OOM-killed (the program should then return 137).
        public func markOOM() { self.box.withLock { self.box.oomKilled = true } }
    }

    /// A container's process: returns the exit code. Cancellation means it was killed.
    public typealias Program = @Sendable (Process) async -> Int

    private let lock = NSLock()
    private var images: [String: ImageInfo]
    private var containers: [String: Box] = [:]
    private var nextID = 1
    private var _faults = Faults()
    private let program: @Sendable (ContainerSpec) -> Program

    /// - Parameters:
    ///   - images: references known to the engine, with their ID and default user.
    ///   - program: picks the process to run for a container.
    public init(images: [String: ImageInfo], program: @escaping @Sendable (ContainerSpec) -> Program) {
        self.images = images
        self.program = program
    }

    public var faults: Faults {
        get { self.lock.withLock { self._faults } }
        set { self.lock.withLock { self._faults = newValue } }
    }

    /// IDs of all containers that exist (any state).
    public var containerIDs: [String] { self.lock.withLock { Array(self.containers.keys) } }

    /// Simulates an engine restart without live-restore: every running container dies (137).
    public func loseRunningContainers() {
        for box in self.lock.withLock({ Array(self.containers.values) }) { box.kill(exitCode: 137) }
    }

    private func box(_ id: String) throws -> Box {
        guard let box = self.lock.withLock({ self.containers[id] }) else {
            throw GSSAError.server("No such container: \(id)")
        }
        return box
    }

    // MARK: ContainerEngine

    public func info() async throws -> EngineInfo { EngineInfo(version: "in-memory", apiVersion: "1.41") }

    public func inspectImage(_ reference: String) async throws -> ImageInfo? {
        self.lock.withLock { self.images[reference] }
    }

    public func createContainer(_ spec: ContainerSpec, name: String?) async throws -> String {
        try self.lock.withLock {
            if self._faults.createFails { throw GSSAError.server("injected: create failed") }
            guard let image = self.images[spec.image] else { throw GSSAError.server("No such image: \(spec.image)") }
            let id = String(format: "%064x", self.nextID)
            self.nextID += 1
            self.containers[id] = Box(id: id, spec: spec, imageID: image.id)
            return id
        }
    }

    public func startContainer(_ id: String) async throws {
        if self.faults.startFails { throw GSSAError.server("injected: start failed") }
        let box = try self.box(id)
        box.start(self.program(box.spec))
    }

    public func waitContainer(_ id: String) async throws -> Int {
        try await self.box(id).waitForExit()
    }

    public func logs(_ id: String, follow: Bool) -> AsyncThrowingStream<LogChunk, any Error> {
        guard let box = self.lock.withLock({ self.containers[id] }) else {
            return AsyncThrowingStream { $0.finish(throwing: GSSAError.server("No such container: \(id)")) }
        }
        return box.logStream(follow: follow)
    }

    public func killContainer(_ id: String, signal: String) async throws {
        if self.faults.killSaysNoSuchContainer { throw GSSAError.server("injected: No such container: \(id)") }
        try self.box(id).kill(exitCode: 137)
    }

    public func removeContainer(_ id: String, force: Bool) async throws {
        guard let box = self.lock.withLock({ self.containers[id] }) else { return }
        if box.isRunning {
            guard force else { throw GSSAError.server("cannot remove running container \(id)") }
            box.kill(exitCode: 137)
        }
        _ = self.lock.withLock { self.containers.removeValue(forKey: id) }
    }

    public func inspectContainer(_ id: String) async throws -> ContainerInspection? {
        guard let box = self.lock.withLock({ self.containers[id] }) else { return nil }
        return box.inspection
    }

    public func putArchive(_ id: String, path: String, tar: Data) async throws {
        if self.faults.putArchiveFails { throw GSSAError.server("injected: archive upload failed") }
        let box = try self.box(id)
        let base = path.hasSuffix("/") ? path : path + "/"
        let files = try TarReader.readAll(tar)
        box.withLock {
            for file in files { box.files[base + file.path] = file.data }
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
        let files = box.withLock { box.files.filter { $0.key.hasPrefix(prefix) } }
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
        self.lock.withLock { Array(self.containers.values) }
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
private final class Box: @unchecked Sendable {
    let id: String
    let spec: ContainerSpec
    let imageID: String
    private let lock = NSLock()
    var files: [String: Data] = [:]
    var oomKilled = false
    private var status: ContainerInspection.Status = .created
    private var exitCode = 0
    private var finishedAt: Date?
    private var log: [LogChunk] = []
    private var followers: [UUID: AsyncThrowingStream<LogChunk, any Error>.Continuation] = [:]
    private var waiters: [CheckedContinuation<Int, Never>] = []
    private var task: Task<Void, Never>?

    init(id: String, spec: ContainerSpec, imageID: String) {
        self.id = id
        self.spec = spec
        self.imageID = imageID
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T { try self.lock.withLock(body) }

    var isRunning: Bool { self.withLock { self.status == .running || self.status == .paused } }

    var inspection: ContainerInspection {
        self.withLock {
            ContainerInspection(
                id: self.id, status: self.status, exitCode: self.exitCode, oomKilled: self.oomKilled,
                imageID: self.imageID, labels: self.spec.labels, finishedAt: self.finishedAt)
        }
    }

    func start(_ program: @escaping InMemoryEngine.Program) {
        let process = InMemoryEngine.Process(box: self)
        self.withLock {
            guard self.status == .created else { return }
            self.status = .running
            self.task = Task { [self] in
                let code = await program(process)
                self.exit(code)
            }
        }
    }

    func emit(_ stream: LogChunk.Stream, _ bytes: [UInt8]) {
        let chunk = LogChunk(stream: stream, bytes: bytes)
        let followers = self.withLock { () -> [AsyncThrowingStream<LogChunk, any Error>.Continuation] in
            self.log.append(chunk)
            return Array(self.followers.values)
        }
        for follower in followers { follower.yield(chunk) }
    }

    func kill(exitCode: Int) {
        let task = self.withLock { () -> Task<Void, Never>? in
            guard self.status == .running || self.status == .paused else { return nil }
            return self.task
        }
        task?.cancel()
        self.exit(exitCode)
    }

    func setPaused(_ paused: Bool) throws {
        try self.withLock {
            switch (self.status, paused) {
            case (.running, true): self.status = .paused
            case (.paused, false): self.status = .running
            default: throw GSSAError.server("container \(self.id) is \(self.status.rawValue)")
            }
        }
    }

    private func exit(_ code: Int) {
        let (waiters, followers) = self.withLock {
            () -> ([CheckedContinuation<Int, Never>], [AsyncThrowingStream<LogChunk, any Error>.Continuation]) in
            guard self.status == .running || self.status == .paused else { return ([], []) }
            self.status = .exited
            self.exitCode = code
            self.finishedAt = Date()
            defer {
                self.waiters.removeAll()
                self.followers.removeAll()
            }
            return (self.waiters, Array(self.followers.values))
        }
        for waiter in waiters { waiter.resume(returning: code) }
        for follower in followers { follower.finish() }
    }

    func waitForExit() async -> Int {
        await withCheckedContinuation { continuation in
            let done: Int? = self.withLock {
                if self.status == .exited || self.status == .dead { return self.exitCode }
                self.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    func logStream(follow: Bool) -> AsyncThrowingStream<LogChunk, any Error> {
        let (stream, continuation) = AsyncThrowingStream<LogChunk, any Error>.makeStream()
        let key = UUID()
        // History and registration under one lock, so no chunk is lost or reordered.
        let live = self.withLock { () -> Bool in
            let live = follow && (self.status == .running || self.status == .paused || self.status == .created)
            for chunk in self.log { continuation.yield(chunk) }
            if live { self.followers[key] = continuation }
            return live
        }
        if live {
            continuation.onTermination = { [weak self] _ in
                _ = self?.withLock { self?.followers.removeValue(forKey: key) }
            }
        } else {
            continuation.finish()
        }
        return stream
    }
}
