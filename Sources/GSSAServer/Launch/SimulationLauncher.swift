import Foundation
import GSSA
import LaunchProtocol

/// What the server asks the launcher to run.
public struct LaunchSpecification: Sendable, Hashable {
    public var guid: String
    public var image: String
    /// Host directory staged into the container as its input.
    public var input: URL
    /// Host directory the container's output is copied back into.
    public var output: URL
    public var interpreter: String?
    /// Seconds before the daemon kills the run.
    public var walltime: Double?
    /// The run's owner, for the container's author label.
    public var author: String
    /// The run's resource request, enforced by the daemon as the container's limits.
    public var limits: ContainerLimits?

    public init(
        guid: String, image: String, input: URL, output: URL, interpreter: String? = nil,
        walltime: Double? = nil, author: String, limits: ContainerLimits? = nil
    ) {
        self.limits = limits
        self.guid = guid
        self.image = image
        self.input = input
        self.output = output
        self.interpreter = interpreter
        self.walltime = walltime
        self.author = author
    }
}

/// Callbacks a launcher makes while it supervises a run.
public struct LaunchObserver: Sendable {
    /// The container exists: its ID and the image ID it runs.
    public var started: @Sendable (_ containerID: String?, _ imageID: String?) async -> Void
    /// A `pct|message` status line from the container.
    public var status: @Sendable (_ percentage: Double?, _ message: String) async -> Void

    public init(
        started: @escaping @Sendable (String?, String?) async -> Void,
        status: @escaping @Sendable (Double?, String) async -> Void
    ) {
        self.started = started
        self.status = status
    }
}

/// What the launcher knows about a run, asked after a server restart.
public enum LauncherRunState: Sendable, Hashable {
    case running
    case exited
    /// The launcher does not know the GUID.
    case gone
}

/// The daemon refused a START because all its container slots are taken.
public struct LauncherAtCapacity: Error, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
}

/// The launcher could not be reached at all (e.g. the daemon's socket refuses connections):
/// nothing was sent, so nothing happened. The server keeps the run and tries again later.
public struct LauncherUnavailable: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The connection to the launcher broke after a request was sent, without an answer: the run
/// may exist and keep going. The server re-attaches to it by GUID.
public struct LauncherDisconnected: Error, Sendable, CustomStringConvertible {
    public var reason: String
    /// Whether the launcher had confirmed the START before the connection broke.
    public var started: Bool
    public init(reason: String, started: Bool) {
        self.reason = reason
        self.started = started
    }
    public var description: String { reason }
}

/// The seam between the server and whatever runs containers.
///
/// The real one is ``DaemonLauncher`` (the `gssa-dockerlaunch` socket); `InMemoryLauncher`
/// (GSSAServerTesting) stands in for unit tests. Both block in ``run(_:observer:)`` until the run has finished.
///
/// Faults are typed so that no run is lost to them: ``LauncherUnavailable`` (nothing was sent)
/// and ``LauncherDisconnected`` (the answer never came) make the server wait and re-attach;
/// a `GSSAError` is the launcher's own answer.
public protocol SimulationLauncher: Sendable {
    /// Starts a run and supervises it to the end.
    /// - Throws: ``LauncherAtCapacity`` when no slot is free; a `GSSAError` otherwise.
    func run(_ specification: LaunchSpecification, observer: LaunchObserver) async throws -> RunResult
    /// Re-subscribes to a run started before a server restart and supervises it to the end.
    func attach(guid: String, observer: LaunchObserver) async throws -> RunResult
    func state(guid: String) async throws -> LauncherRunState
    /// Kills and removes the run's container; the run ends as cancelled.
    func cancel(guid: String) async throws
    func logs(guid: String) async throws -> LogsReply
    func usage() async throws -> UsageReply
    /// Pauses the run's container; its walltime clock stops until ``resume(guid:)``.
    func suspend(guid: String) async throws
    /// Unpauses a run paused by ``suspend(guid:)``.
    func resume(guid: String) async throws
}

extension SimulationLauncher {
    /// Launchers that cannot pause runs refuse, saying so.
    public func suspend(guid: String) async throws {
        throw GSSAError.server("this launcher cannot suspend runs")
    }

    /// Launchers that cannot pause runs refuse, saying so.
    public func resume(guid: String) async throws {
        throw GSSAError.server("this launcher cannot resume runs")
    }
}
