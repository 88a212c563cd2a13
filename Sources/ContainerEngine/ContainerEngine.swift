import Foundation

/// The narrow slice of a container engine that the launch daemon needs.
///
/// It is a protocol so that the daemon's decisions (cap, ownership, walltime, reconcile) can
/// be unit tested against `InMemoryEngine` (ContainerEngineTesting) with injected faults, while ``DockerEngine``
/// talks to the real Docker Engine API. Every call names containers by engine ID.
///
/// Errors are ``GSSA/GSSAError`` values (`.server` for engine failures). Lookups of things that
/// may legitimately be gone (inspect, archive GET) return nil instead of throwing.
public protocol ContainerEngine: Sendable {
    /// Engine version facts; also checks that the engine answers.
    func info() async throws -> EngineInfo
    /// The image's ID and default user, or nil when the image is not present locally.
    func inspectImage(_ reference: String) async throws -> ImageInfo?
    /// Creates (does not start) a container; returns its ID.
    func createContainer(_ spec: ContainerSpec, name: String?) async throws -> String
    func startContainer(_ id: String) async throws
    /// Blocks until the container is not running; returns its exit code.
    func waitContainer(_ id: String) async throws -> Int
    /// Hands the container's output, demultiplexed, to `consume` chunk by chunk, in the
    /// caller's task (cancelling it stops the stream). With `follow` it returns when the
    /// container stops; without it, once what has been written so far is consumed. An error
    /// thrown by `consume` stops the stream and is rethrown.
    func logs(_ id: String, follow: Bool, into consume: (LogChunk) async throws -> Void) async throws
    func killContainer(_ id: String, signal: String) async throws
    func removeContainer(_ id: String, force: Bool) async throws
    /// Nil when no such container exists.
    func inspectContainer(_ id: String) async throws -> ContainerInspection?
    /// Extracts a tar archive into directory `path` of the container (it need not be running).
    func putArchive(_ id: String, path: String, tar: Data) async throws
    /// Writes a tar of `path` in the container to `file`; false when `path` does not exist.
    func getArchive(_ id: String, path: String, to file: URL) async throws -> Bool
    /// Hands a tar of `path` in the container to `consume` chunk by chunk, as the engine sends
    /// it, without a copy on disk; false (nothing consumed) when `path` does not exist. An error
    /// thrown by `consume` stops the download and is rethrown.
    func streamArchive(_ id: String, path: String, into consume: @Sendable ([UInt8]) async throws -> Void)
        async throws -> Bool
    /// Containers (running or not with `all`) carrying every one of `labels`.
    func listContainers(labels: [String: String], all: Bool) async throws -> [ContainerSummary]
    func pauseContainer(_ id: String) async throws
    func unpauseContainer(_ id: String) async throws
}

/// What the engine says about itself.
public struct EngineInfo: Sendable, Hashable {
    public var version: String
    /// The API version requests use, after negotiation.
    public var apiVersion: String
    public init(version: String, apiVersion: String) {
        self.version = version
        self.apiVersion = apiVersion
    }
}

/// A local image.
public struct ImageInfo: Sendable, Hashable {
    /// `sha256:…`.
    public var id: String
    /// `Config.User` of the image; empty for root.
    public var user: String
    /// `Config.Labels`: what the image declares about itself (e.g. the runner it carries).
    public var labels: [String: String]
    /// `Config.Env`, `NAME=value` entries.
    public var environment: [String]
    public init(id: String, user: String, labels: [String: String] = [:], environment: [String] = []) {
        self.id = id
        self.user = user
        self.labels = labels
        self.environment = environment
    }
}

/// Everything the daemon decides about a new container. Built by the daemon, never by a
/// client, so a client cannot ask for binds, networking or privileges.
public struct ContainerSpec: Sendable, Hashable {
    public var image: String
    public var command: [String]
    public var environment: [String: String]
    public var labels: [String: String]
    /// Empty means the image default.
    public var user: String
    public var memoryBytes: Int64?
    public var nanoCPUs: Int64?
    public var pidsLimit: Int64?
    /// Always true for simulation containers: tini reaps zombies and forwards signals.
    public var initProcess: Bool

    public init(
        image: String, command: [String], environment: [String: String] = [:],
        labels: [String: String] = [:], user: String = "", memoryBytes: Int64? = nil,
        nanoCPUs: Int64? = nil, pidsLimit: Int64? = nil, initProcess: Bool = true
    ) {
        self.image = image
        self.command = command
        self.environment = environment
        self.labels = labels
        self.user = user
        self.memoryBytes = memoryBytes
        self.nanoCPUs = nanoCPUs
        self.pidsLimit = pidsLimit
        self.initProcess = initProcess
    }
}

/// Engine-side state of one container.
public struct ContainerInspection: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        case created, running, paused, restarting, removing, exited, dead
    }

    public var id: String
    public var status: Status
    public var exitCode: Int
    /// Docker's sticky, container-wide flag; see ``RunOutcome`` for how it is interpreted.
    public var oomKilled: Bool
    public var imageID: String
    public var labels: [String: String]
    public var finishedAt: Date?
    /// The host that ran it, when the engine spans several (a swarm node's hostname).
    public var node: String?
    /// Why the engine lost the run (e.g. "node NAME lost"); nil when it ended on its own.
    public var failure: String?

    public init(
        id: String, status: Status, exitCode: Int, oomKilled: Bool, imageID: String,
        labels: [String: String], finishedAt: Date?, node: String? = nil, failure: String? = nil
    ) {
        self.node = node
        self.failure = failure
        self.id = id
        self.status = status
        self.exitCode = exitCode
        self.oomKilled = oomKilled
        self.imageID = imageID
        self.labels = labels
        self.finishedAt = finishedAt
    }

    public var isRunning: Bool { self.status == .running || self.status == .paused || self.status == .restarting }
}

/// A row of the container list.
public struct ContainerSummary: Sendable, Hashable {
    public var id: String
    public var state: ContainerInspection.Status
    public var labels: [String: String]
    /// When the container was created, when the engine says.
    public var created: Date?
    public init(id: String, state: ContainerInspection.Status, labels: [String: String], created: Date? = nil) {
        self.id = id
        self.state = state
        self.labels = labels
        self.created = created
    }
}

/// A piece of container output from one stream.
public struct LogChunk: Sendable, Hashable {
    public enum Stream: UInt8, Sendable, Hashable {
        case stdin = 0, stdout = 1, stderr = 2
    }

    public var stream: Stream
    public var bytes: [UInt8]
    public init(stream: Stream, bytes: [UInt8]) {
        self.stream = stream
        self.bytes = bytes
    }
}

/// How the daemon reads an exit: Docker's `OOMKilled` flag is sticky and container-wide
/// (moby #43564), so a run counts as OOM only when the flag is set *and* the main process
/// died of SIGKILL (137) or left no usable exit code.
public enum RunOutcome {
    public static func isOOM(flag: Bool, exitCode: Int?) -> Bool {
        guard flag else { return false }
        guard let exitCode else { return true }
        return exitCode == 137
    }
}
