import AsyncHTTPClient
import Foundation
import GSSAArchive
import GSSACore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// ``ContainerEngine`` over a Docker Swarm: each run is one replicated service (one replica,
/// restart condition none) created through the manager's Engine API.
///
/// The launch daemon keeps making every decision (whitelist, ownership, limits, walltime,
/// labels, reconcile); this type only maps its container calls onto services, so the daemon's
/// two executors share one code path. A run's "container ID" is its service name,
/// `gssa-run-<hex>`; anything else (the image-user probe) is a plain container on the
/// manager node, delegated to ``manager``.
///
/// Data path: the run's directory `<shared_root>/runs/<id>/shared` (present at the same path on
/// every node) is the task's `/shared`, and its `input` subdirectory is bind-mounted again,
/// read-only, on `/shared/input`. No other mount, no network (no network attached: only `lo`),
/// all capabilities dropped, the run's cores, memory and pids as service limits. Input is
/// staged by extracting the daemon's input tar there; output is streamed back as a tar built
/// from the directory (symlinks never followed), so the daemon's safe extraction still decides
/// what reaches the caller.
///
/// Supervision: exit codes come from the task status; a task whose node is down ends as a
/// `dead` inspection whose ``ContainerInspection/failure`` is "node NAME lost". A stop scales
/// the service to zero (the task gets SIGTERM, then SIGKILL after the stop grace); removal,
/// after collection, removes the service and the run's directory.
public final class SwarmEngine: ContainerEngine {
    /// The manager node's engine: swarm API calls, images, probes.
    public let manager: DockerEngine
    /// The shared run root, resolved.
    public let sharedRoot: String
    private let stopGrace: Double
    private let logger: Logger
    /// Specs of created, not yet started runs (the service is created at start).
    private let pending = Mutex<[String: ContainerSpec]>([:])
    /// Node hostnames by node ID.
    private let nodeNames = Mutex<[String: String]>([:])
    /// Poll interval of task states.
    private let poll: Duration

    static let runPrefix = "gssa-run-"

    private init(manager: DockerEngine, sharedRoot: String, stopGrace: Double, poll: Duration, logger: Logger) {
        self.manager = manager
        self.sharedRoot = sharedRoot
        self.stopGrace = stopGrace
        self.poll = poll
        self.logger = logger
    }

    /// Connects to the manager (`unix:///…/docker.sock`) and checks that it manages a swarm and
    /// that `sharedRoot` is a directory. Call ``shutdown()`` when done.
    public static func connect(
        manager: String, sharedRoot: String, stopGrace: Double = 5, poll: Duration = .seconds(1),
        logger: Logger = Logger(label: "gssa.swarm")
    ) async throws -> SwarmEngine {
        guard manager.hasPrefix("unix:///") else {
            throw GSSAError.client("swarm.manager '\(manager)' is not a unix:///path socket", attribute: "swarm.manager")
        }
        var isDirectory: ObjCBool = false
        guard sharedRoot.hasPrefix("/"), FileManager.default.fileExists(atPath: sharedRoot, isDirectory: &isDirectory),
            isDirectory.boolValue, let resolved = realpath(sharedRoot, nil)
        else {
            throw GSSAError.client("swarm.shared_root '\(sharedRoot)' is not an existing directory", attribute: "swarm.shared_root")
        }
        let root = String(cString: resolved)
        free(resolved)
        let socketPath = String(manager.dropFirst("unix://".count))
        var info = stat()
        guard stat(socketPath, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK else {
            throw GSSAError.server("swarm.manager: no Docker engine socket at \(socketPath) (is the manager up?)")
        }
        let engine = try await DockerEngine.connect(socketPath: socketPath, logger: logger)
        let swarm = SwarmEngine(manager: engine, sharedRoot: root, stopGrace: stopGrace, poll: poll, logger: logger)
        do {
            let (status, body) = try await engine.send(.GET, "/swarm")
            try DockerEngine.check(status, body, "inspect the swarm (is \(manager) a swarm manager?)")
            try Self.makeDirectory(swarm.runsRoot, mode: 0o700)
        } catch {
            await engine.shutdown()
            throw error
        }
        return swarm
    }

    public func shutdown() async {
        await self.manager.shutdown()
    }

    var runsRoot: String { self.sharedRoot + "/runs" }

    static func isRun(_ id: String) -> Bool {
        id.hasPrefix(runPrefix) && id.count <= 64
            && id.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    func runDirectory(_ id: String) -> String { self.runsRoot + "/" + id }

    // MARK: Capacity

    /// What the swarm offers: the ready, active nodes and the sum of their cores and memory.
    public struct Capacity: Sendable, Hashable {
        public var nodes: Int
        public var cores: Double
        public var memoryBytes: Int64
    }

    /// Sums the resources of the ready, active nodes.
    public func capacity() async throws -> Capacity {
        var capacity = Capacity(nodes: 0, cores: 0, memoryBytes: 0)
        for node in try await self.nodes() where node.ready {
            capacity.nodes += 1
            capacity.cores += Double(node.nanoCPUs) / 1e9
            capacity.memoryBytes += node.memoryBytes
        }
        return capacity
    }

    struct Node: Sendable {
        var id: String
        var hostname: String
        var state: String
        var ready: Bool
        var nanoCPUs: Int64
        var memoryBytes: Int64
    }

    func nodes() async throws -> [Node] {
        let (status, body) = try await self.manager.send(.GET, "/nodes")
        try DockerEngine.check(status, body, "list swarm nodes")
        struct Row: Decodable {
            struct Spec: Decodable { var Availability: String? }
            struct Description: Decodable {
                struct Resources: Decodable {
                    var NanoCPUs: Int64?
                    var MemoryBytes: Int64?
                }
                var Hostname: String?
                var Resources: Resources?
            }
            struct Status: Decodable { var State: String? }
            var ID: String
            var Spec: Spec?
            var Description: Description?
            var Status: Status?
        }
        let rows = try DockerEngine.decode([Row].self, body, "list swarm nodes")
        let nodes = rows.map { row in
            Node(
                id: row.ID, hostname: row.Description?.Hostname ?? row.ID, state: row.Status?.State ?? "unknown",
                ready: row.Status?.State == "ready" && (row.Spec?.Availability ?? "active") == "active",
                nanoCPUs: row.Description?.Resources?.NanoCPUs ?? 0,
                memoryBytes: row.Description?.Resources?.MemoryBytes ?? 0)
        }
        self.nodeNames.withLock { names in
            for node in nodes { names[node.id] = node.hostname }
        }
        return nodes
    }

    // MARK: ContainerEngine

    public func info() async throws -> EngineInfo {
        try await self.manager.info()
    }

    public func inspectImage(_ reference: String) async throws -> ImageInfo? {
        try await self.manager.inspectImage(reference)
    }

    public func createContainer(_ spec: ContainerSpec, name: String?) async throws -> String {
        // The image-user probe (and anything unlabelled) is a plain container on the manager.
        guard spec.labels["gssa.guid"] != nil, spec.labels["gssa.probe"] == nil else {
            return try await self.manager.createContainer(spec, name: name)
        }
        var random = SystemRandomNumberGenerator()
        let id = Self.runPrefix + (0..<10).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &random)) }.joined()
        let directory = self.runDirectory(id)
        try await Self.offPool {
            try Self.makeDirectory(directory, mode: 0o700)
            try Self.makeDirectory(directory + "/shared", mode: 0o755)
            try Self.makeDirectory(directory + "/shared/input", mode: 0o755)
        }
        self.pending.withLock { $0[id] = spec }
        return id
    }

    public func putArchive(_ id: String, path: String, tar: Data) async throws {
        guard Self.isRun(id) else { return try await self.manager.putArchive(id, path: path, tar: tar) }
        // Only the run's input can be staged: the runner must be baked into the image.
        let directory = self.runDirectory(id)
        try await Self.offPool {
            try Self.stageInput(tar, path: path, directory: directory)
        }
    }

    /// Extracts the daemon's input tar (members `shared`, `shared/input/…`) into the run's
    /// directory, owned by the tar's user (the image user), refusing anything else.
    static func stageInput(_ tar: Data, path: String, directory: String) throws {
        guard path == "/" else {
            throw GSSAError.server("swarm executor: cannot stage files at \(path) (only the run's input is staged)")
        }
        let staging = directory + "/.staging"
        try? FileManager.default.removeItem(atPath: staging)
        try makeDirectory(staging, mode: 0o700)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let file = URL(fileURLWithPath: staging + ".tar")
        do { try tar.write(to: file) } catch { throw GSSAError.server("swarm executor: cannot write \(file.path): \(error)") }
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try TarExtractor.extractSafely(file, into: URL(fileURLWithPath: staging))
        let top = try listing(staging)
        let shared = top == ["shared"] ? try listing(staging + "/shared") : []
        guard top == ["shared"], shared == ["input"] else {
            throw GSSAError.server(
                "swarm executor: the image must carry the runner (label org.gssa.runner-sha256); only /shared/input can be staged")
        }
        let (uid, gid) = Self.owner(ofFirstMember: tar)
        let input = directory + "/shared/input"
        _ = rmdir(input)
        guard rename(staging + "/shared/input", input) == 0 else {
            throw GSSAError.server("swarm executor: cannot place the input in \(input): \(String(cString: strerror(errno)))")
        }
        try chownTree(input, uid: uid, gid: gid)
        guard lchown(directory + "/shared", uid, gid) == 0 else {
            throw GSSAError.server("swarm executor: cannot give \(directory)/shared to uid \(uid)")
        }
    }

    /// uid and gid of a ustar archive's first member (octal fields at 108 and 116).
    static func owner(ofFirstMember tar: Data) -> (uid_t, gid_t) {
        // An 8-byte field: optional leading spaces (some writers pad with them), then octal digits.
        func octal(_ offset: Int) -> UInt32 {
            guard tar.count >= offset + 8 else { return 0 }
            let field = tar[tar.startIndex + offset..<tar.startIndex + offset + 8].drop { $0 == 0x20 }
            let digits = field.prefix { $0 >= 0x30 && $0 <= 0x37 }
            return UInt32(String(decoding: digits, as: UTF8.self), radix: 8) ?? 0
        }
        return (octal(108), octal(116))
    }

    static func chownTree(_ path: String, uid: uid_t, gid: gid_t) throws {
        guard lchown(path, uid, gid) == 0 else {
            throw GSSAError.server("swarm executor: cannot give \(path) to uid \(uid): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return }
        for name in try listing(path) {
            try chownTree(path + "/" + name, uid: uid, gid: gid)
        }
    }

    /// The names in a staged directory; an unreadable one is an error, not an empty listing.
    static func listing(_ path: String) throws(GSSAError) -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw GSSAError.server("swarm executor: cannot list \(path): \(error)")
        }
    }

    public func startContainer(_ id: String) async throws {
        guard Self.isRun(id) else { return try await self.manager.startContainer(id) }
        guard let spec = self.pending.withLock({ $0[id] }) else {
            if try await self.service(id) != nil { return }
            throw GSSAError.server("swarm executor: no created run \(id)")
        }
        let directory = self.runDirectory(id)
        var limits: [String: JSONAny] = [:]
        if let memory = spec.memoryBytes { limits["MemoryBytes"] = .int(memory) }
        if let cpus = spec.nanoCPUs { limits["NanoCPUs"] = .int(cpus) }
        if let pids = spec.pidsLimit { limits["Pids"] = .int(pids) }
        let container: [String: JSONAny] = [
            "Image": .string(spec.image),
            "Args": .array(spec.command.map(JSONAny.string)),
            "Env": .array(spec.environment.sorted { $0.key < $1.key }.map { .string("\($0.key)=\($0.value)") }),
            "Labels": .object(spec.labels.mapValues(JSONAny.string)),
            "User": .string(spec.user),
            "Init": .bool(spec.initProcess),
            "CapabilityDrop": .array(["ALL"]),
            "StopGracePeriod": .int(Int64(self.stopGrace * 1e9)),
            "Mounts": .array([
                .object(["Type": "bind", "Source": .string(directory + "/shared"), "Target": "/shared"]),
                .object([
                    "Type": "bind", "Source": .string(directory + "/shared/input"), "Target": "/shared/input",
                    "ReadOnly": .bool(true),
                ]),
            ]),
        ]
        let body: JSONAny = .object([
            "Name": .string(id),
            "Labels": .object(spec.labels.mapValues(JSONAny.string)),
            "TaskTemplate": .object([
                "ContainerSpec": .object(container),
                "Resources": .object(["Limits": .object(limits)]),
                "RestartPolicy": .object(["Condition": "none", "MaxAttempts": .int(0)]),
                "LogDriver": .object([
                    "Name": "json-file", "Options": .object(["max-size": "20m", "max-file": "2"]),
                ]),
            ]),
            "Mode": .object(["Replicated": .object(["Replicas": .int(1)])]),
        ])
        let (status, response) = try await self.manager.send(.POST, "/services/create", json: body)
        try DockerEngine.check(status, response, "create service \(id) from \(spec.image)")
        self.pending.withLock { _ = $0.removeValue(forKey: id) }
    }

    // MARK: Services and tasks

    struct Service: Sendable {
        var id: String
        var version: Int
        var labels: [String: String]
        var image: String
        var replicas: Int
    }

    struct TaskState: Sendable {
        var state: String
        var desired: String
        var exitCode: Int?
        var error: String?
        var nodeID: String?
        var timestamp: Date?

        static let terminal: Set<String> = ["complete", "failed", "shutdown", "rejected", "orphaned", "remove"]
        var isTerminal: Bool { Self.terminal.contains(self.state) }
    }

    func service(_ id: String) async throws -> Service? {
        let (status, body) = try await self.manager.send(.GET, "/services/\(id)")
        if status == .notFound { return nil }
        try DockerEngine.check(status, body, "inspect service \(id)")
        struct Row: Decodable {
            struct Version: Decodable { var Index: Int }
            struct Spec: Decodable {
                struct Template: Decodable {
                    struct Container: Decodable { var Image: String? }
                    var ContainerSpec: Container?
                }
                struct Mode: Decodable {
                    struct Replicated: Decodable { var Replicas: Int? }
                    var Replicated: Replicated?
                }
                var Labels: [String: String]?
                var TaskTemplate: Template?
                var Mode: Mode?
            }
            var ID: String
            var Version: Version
            var Spec: Spec
        }
        let row = try DockerEngine.decode(Row.self, body, "inspect service \(id)")
        return Service(
            id: row.ID, version: row.Version.Index, labels: row.Spec.Labels ?? [:],
            image: row.Spec.TaskTemplate?.ContainerSpec?.Image ?? "", replicas: row.Spec.Mode?.Replicated?.Replicas ?? 1)
    }

    /// The service's newest task, or nil when it has none (yet, or any more).
    func task(_ id: String) async throws -> TaskState? {
        let filters = #"{"service":["\#(id)"]}"#
        let (status, body) = try await self.manager.send(.GET, "/tasks", query: [("filters", filters)])
        try DockerEngine.check(status, body, "list tasks of service \(id)")
        struct Row: Decodable {
            struct Version: Decodable { var Index: Int }
            struct Status: Decodable {
                struct Container: Decodable { var ExitCode: Int? }
                var Timestamp: String?
                var State: String
                var Err: String?
                var ContainerStatus: Container?
            }
            var Version: Version
            var NodeID: String?
            var Status: Status
            var DesiredState: String?
        }
        let rows = try DockerEngine.decode([Row].self, body, "list tasks of service \(id)")
        guard let newest = rows.max(by: { $0.Version.Index < $1.Version.Index }) else { return nil }
        return TaskState(
            state: newest.Status.State, desired: newest.DesiredState ?? "", exitCode: newest.Status.ContainerStatus?.ExitCode,
            error: newest.Status.Err, nodeID: newest.NodeID, timestamp: newest.Status.Timestamp.flatMap(DockerEngine.parseDate))
    }

    func nodeName(_ nodeID: String?) async -> String? {
        guard let nodeID, !nodeID.isEmpty else { return nil }
        if let known = self.nodeNames.withLock({ $0[nodeID] }) { return known }
        _ = try? await self.nodes()
        return self.nodeNames.withLock { $0[nodeID] } ?? nodeID
    }

    /// Whether the task's node is down (its dockerd gone): the task will never report again.
    func nodeIsDown(_ nodeID: String?) async throws -> Bool {
        guard let nodeID, !nodeID.isEmpty else { return false }
        let (status, body) = try await self.manager.send(.GET, "/nodes/\(nodeID)")
        if status == .notFound { return true }
        try DockerEngine.check(status, body, "inspect node \(nodeID)")
        struct Row: Decodable {
            struct Status: Decodable { var State: String? }
            struct Description: Decodable { var Hostname: String? }
            var Status: Status?
            var Description: Description?
        }
        let row = try DockerEngine.decode(Row.self, body, "inspect node \(nodeID)")
        if let name = row.Description?.Hostname { self.nodeNames.withLock { $0[nodeID] = name } }
        return row.Status?.State == "down" || row.Status?.State == "disconnected"
    }

    public func waitContainer(_ id: String) async throws -> Int {
        guard Self.isRun(id) else { return try await self.manager.waitContainer(id) }
        return try await self.waitForEnd(id)?.exitCode ?? -1
    }

    /// Polls until the run's task ended or its node is lost; nil when the service is gone.
    func waitForEnd(_ id: String) async throws -> ContainerInspection? {
        while true {
            guard let inspection = try await self.inspectContainer(id) else { return nil }
            if inspection.status == .exited || inspection.status == .dead { return inspection }
            try await Task.sleep(for: self.poll)
        }
    }

    /// The image ID behind a reference on the manager, cached (it is inspected on every poll).
    private let imageIDs = Mutex<[String: String]>([:])

    func imageID(_ reference: String) async throws -> String {
        if let known = self.imageIDs.withLock({ $0[reference] }) { return known }
        let id = try await self.manager.inspectImage(reference)?.id ?? ""
        if !id.isEmpty { self.imageIDs.withLock { $0[reference] = id } }
        return id
    }

    public func inspectContainer(_ id: String) async throws -> ContainerInspection? {
        guard Self.isRun(id) else { return try await self.manager.inspectContainer(id) }
        guard let service = try await self.service(id) else {
            guard let spec = self.pending.withLock({ $0[id] }) else { return nil }
            return ContainerInspection(
                id: id, status: .created, exitCode: 0, oomKilled: false, imageID: "", labels: spec.labels, finishedAt: nil)
        }
        let imageID = try await self.imageID(service.image)
        guard let task = try await self.task(id) else {
            // Scaled to zero (stopped) and its task already gone, or not scheduled yet.
            let status: ContainerInspection.Status = service.replicas == 0 ? .exited : .running
            return ContainerInspection(
                id: id, status: status, exitCode: service.replicas == 0 ? 143 : 0, oomKilled: false, imageID: imageID,
                labels: service.labels, finishedAt: service.replicas == 0 ? Date() : nil)
        }
        let node = await self.nodeName(task.nodeID)
        if task.isTerminal {
            var failure: String?
            if task.state == "rejected" || (task.exitCode == nil && task.state != "complete" && task.state != "shutdown") {
                failure = "task \(task.state) on node \(node ?? "?"): \(task.error ?? "no reason given")"
            }
            let code = task.exitCode ?? (task.state == "complete" ? 0 : (task.state == "shutdown" ? 143 : -1))
            return ContainerInspection(
                id: id, status: .exited, exitCode: code, oomKilled: false, imageID: imageID, labels: service.labels,
                finishedAt: task.timestamp ?? Date(), node: node, failure: failure)
        }
        if try await self.nodeIsDown(task.nodeID) {
            return ContainerInspection(
                id: id, status: .dead, exitCode: -1, oomKilled: false, imageID: imageID, labels: service.labels,
                finishedAt: Date(), node: node, failure: "node \(node ?? "?") lost")
        }
        return ContainerInspection(
            id: id, status: .running, exitCode: 0, oomKilled: false, imageID: imageID, labels: service.labels,
            finishedAt: nil, node: node)
    }

    public func logs(_ id: String, follow: Bool, into consume: (LogChunk) async throws -> Void) async throws {
        guard Self.isRun(id) else { return try await self.manager.logs(id, follow: follow, into: consume) }
        // Every fetch of a service's logs starts at its beginning: what was delivered is skipped.
        var delivered: [LogChunk.Stream: Int] = [:]
        func deliver(_ chunk: LogChunk, _ offsets: inout [LogChunk.Stream: Int]) async throws {
            let start = offsets[chunk.stream, default: 0]
            offsets[chunk.stream] = start + chunk.bytes.count
            let skip = max(0, min(delivered[chunk.stream, default: 0] - start, chunk.bytes.count))
            guard skip < chunk.bytes.count else { return }
            delivered[chunk.stream, default: 0] += chunk.bytes.count - skip
            try await consume(LogChunk(stream: chunk.stream, bytes: Array(chunk.bytes[skip...])))
        }
        if follow {
            enum Item: Sendable {
                case chunk(LogChunk)
                case streamEnded
                case runEnded(ContainerInspection?)
            }
            var end: ContainerInspection??
            while end == nil {
                let (items, continuation) = AsyncStream<Item>.makeStream()
                var offsets: [LogChunk.Stream: Int] = [:]
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            try await self.manager.serviceLogs(id, follow: true) { continuation.yield(.chunk($0)) }
                        } catch {
                            if !Task.isCancelled { self.logger.debug("log stream of service \(id) broke: \(error)") }
                        }
                        continuation.yield(.streamEnded)
                    }
                    group.addTask {
                        // The follow stream of a service does not end with its task: end it here.
                        let ended = try await self.waitForEnd(id)
                        continuation.yield(.runEnded(ended))
                    }
                    loop: for await item in items {
                        switch item {
                        case .chunk(let chunk): try await deliver(chunk, &offsets)
                        case .streamEnded: break loop
                        case .runEnded(let inspection):
                            end = .some(inspection)
                            break loop
                        }
                    }
                    group.cancelAll()
                }
                continuation.finish()
                if end == nil { try await Task.sleep(for: self.poll) }
            }
            // A lost node's logs cannot be fetched any more; a removed service has none.
            guard let ended = end ?? nil, ended.status != .dead else { return }
        }
        var rest: [LogChunk] = []
        try await self.manager.serviceLogs(id, follow: false) { rest.append($0) }
        var offsets: [LogChunk.Stream: Int] = [:]
        for chunk in rest { try await deliver(chunk, &offsets) }
    }

    public func killContainer(_ id: String, signal: String) async throws {
        guard Self.isRun(id) else { return try await self.manager.killContainer(id, signal: signal) }
        // No signal reaches a task: scaled to zero, it gets SIGTERM, then SIGKILL after the
        // service's stop grace (the daemon's stop_grace), so SIGKILL needs nothing more. The
        // service stays until collection removes it, for its exit code.
        try await self.scaleToZero(id)
    }

    /// Scales the service to zero replicas: its task gets SIGTERM, then SIGKILL after the stop grace.
    func scaleToZero(_ id: String) async throws {
        for _ in 0..<5 {
            let (status, body) = try await self.manager.send(.GET, "/services/\(id)")
            if status == .notFound { return }
            try DockerEngine.check(status, body, "inspect service \(id)")
            guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
                var spec = object["Spec"] as? [String: Any], let version = (object["Version"] as? [String: Any])?["Index"] as? Int
            else { throw GSSAError.server("unexpected answer to inspect service \(id)") }
            spec["Mode"] = ["Replicated": ["Replicas": 0]]
            let data = try JSONSerialization.data(withJSONObject: spec)
            let (updated, answer) = try await self.manager.send(
                .POST, "/services/\(id)/update", query: [("version", String(version))], rawJSON: data)
            if updated == .notFound { return }
            // A concurrent update (version moved on): read again.
            if updated.code == 500 || updated == .conflict, String(buffer: answer).contains("out of sequence") { continue }
            return try DockerEngine.check(updated, answer, "stop service \(id)")
        }
        throw GSSAError.server("could not stop service \(id): its version kept changing")
    }

    /// Removes the service and confirms it is gone: a removal that the manager acknowledged but
    /// did not carry out is an error, so the daemon's reaper tries again.
    func removeService(_ id: String) async throws {
        let (status, body) = try await self.manager.send(.DELETE, "/services/\(id)")
        if status == .notFound { return }
        try DockerEngine.check(status, body, "remove service \(id)")
        for _ in 0..<20 {
            guard try await self.service(id) != nil else { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw GSSAError.server("service \(id) is still listed after its removal")
    }

    public func removeContainer(_ id: String, force: Bool) async throws {
        guard Self.isRun(id) else { return try await self.manager.removeContainer(id, force: force) }
        try await self.removeService(id)
        self.pending.withLock { _ = $0.removeValue(forKey: id) }
        let directory = self.runDirectory(id)
        try await Self.offPool {
            guard FileManager.default.fileExists(atPath: directory) else { return }
            do { try FileManager.default.removeItem(atPath: directory) } catch {
                throw GSSAError.server("swarm executor: cannot remove \(directory): \(error)")
            }
        }
    }

    public func getArchive(_ id: String, path: String, to file: URL) async throws -> Bool {
        guard Self.isRun(id) else { return try await self.manager.getArchive(id, path: path, to: file) }
        guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
            throw GSSAError.server("cannot create \(file.path)")
        }
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        return try await self.streamArchive(id, path: path) { try handle.write(contentsOf: Data($0)) }
    }

    public func streamArchive(
        _ id: String, path: String, into consume: @Sendable ([UInt8]) async throws -> Void
    ) async throws -> Bool {
        guard Self.isRun(id) else { return try await self.manager.streamArchive(id, path: path, into: consume) }
        guard path.hasPrefix("/shared/"), !path.split(separator: "/").contains(".."), path.count > "/shared/".count else {
            throw GSSAError.server("swarm executor: only paths under /shared can be copied out, not \(path)")
        }
        let directory = self.runDirectory(id)
        let source = directory + path.dropLast(path.hasSuffix("/") ? 1 : 0)
        let tarFile = directory + "/.collect-\(UUID().uuidString).tar"
        defer { unlink(tarFile) }
        let found = try await Self.offPool { () throws -> Bool in
            var info = stat()
            guard lstat(source, &info) == 0 else { return false }
            let name = String(source.split(separator: "/").last ?? "output")
            let entries: [TarEntry]
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                entries = try TarBuilder.entries(ofDirectory: URL(fileURLWithPath: source), prefix: name, uid: 0, gid: 0)
            case S_IFREG:
                entries = [TarEntry(path: name, content: .file(URL(fileURLWithPath: source)), mode: 0o644)]
            case S_IFLNK:
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: source)) ?? ""
                entries = [TarEntry(path: name, content: .symlink(target: target), mode: 0o777)]
            default:
                return false
            }
            try TarBuilder.write(entries, to: URL(fileURLWithPath: tarFile))
            return true
        }
        guard found else { return false }
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: tarFile))
        defer { try? handle.close() }
        while true {
            let block = try await Self.offPool { try handle.read(upToCount: 1 << 20) ?? Data() }
            if block.isEmpty { break }
            try await consume(Array(block))
        }
        return true
    }

    public func listContainers(labels: [String: String], all: Bool) async throws -> [ContainerSummary] {
        let filters: JSONAny = .object(["label": .array(labels.sorted { $0.key < $1.key }.map { .string("\($0.key)=\($0.value)") })])
        let filterText = String(decoding: try JSONEncoder().encode(filters), as: UTF8.self)
        let (status, body) = try await self.manager.send(.GET, "/services", query: [("filters", filterText)])
        try DockerEngine.check(status, body, "list services")
        struct Row: Decodable {
            struct Spec: Decodable {
                var Name: String
                var Labels: [String: String]?
            }
            var Spec: Spec
        }
        var summaries: [ContainerSummary] = []
        for row in try DockerEngine.decode([Row].self, body, "list services") where Self.isRun(row.Spec.Name) {
            guard let inspection = try await self.inspectContainer(row.Spec.Name) else { continue }
            if !all, !inspection.isRunning { continue }
            summaries.append(ContainerSummary(id: row.Spec.Name, state: inspection.status, labels: row.Spec.Labels ?? [:]))
        }
        // The manager's own containers (probes), not the task containers it runs as a node: those
        // carry the run's labels too, and are the services above.
        let local = try await self.manager.listContainers(labels: labels, all: all)
            .filter { $0.labels["com.docker.swarm.task.id"] == nil }
        return local + summaries
    }

    public func pauseContainer(_ id: String) async throws {
        guard Self.isRun(id) else { return try await self.manager.pauseContainer(id) }
        throw GSSAError.server("swarm executor: a swarm task cannot be paused")
    }

    public func unpauseContainer(_ id: String) async throws {
        guard Self.isRun(id) else { return try await self.manager.unpauseContainer(id) }
    }

    // MARK: Plumbing

    static func makeDirectory(_ path: String, mode: mode_t) throws {
        if mkdir(path, mode) != 0, errno != EEXIST {
            throw GSSAError.server("swarm executor: cannot create \(path): \(String(cString: strerror(errno)))")
        }
        _ = chmod(path, mode)
    }

    /// Blocking file work on its own thread, never on the cooperative pool.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = "gssa-swarm-files"
            thread.start()
        }
    }
}

extension DockerEngine {
    /// `GET /services/{id}/logs`, demultiplexed (the manager relays every node's task output).
    func serviceLogs(_ id: String, follow: Bool, into consume: (LogChunk) async throws -> Void) async throws {
        var request = Self.request(self.url("/services/\(id)/logs", query: [
            ("follow", follow ? "1" : "0"), ("stdout", "1"), ("stderr", "1"),
        ]))
        request.method = .GET
        let response = try await self.http.execute(request, timeout: .hours(24 * 365), logger: self.logger)
        if response.status != .ok {
            let body = try await response.body.collect(upTo: 1 << 20)
            try Self.check(response.status, body, "logs of service \(id)")
        }
        var demux = DockerLogDemultiplexer()
        for try await buffer in response.body {
            for chunk in demux.feed(buffer.readableBytesView) { try await consume(chunk) }
        }
    }
}
