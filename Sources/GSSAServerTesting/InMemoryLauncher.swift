import Foundation
import GSSA
import GSSAServer
import LaunchProtocol
import Synchronization

/// A ``SimulationLauncher`` without containers, for unit tests.
///
/// It enforces a slot cap like the daemon, reports scripted statuses, writes scripted
/// output files, and can hold runs until ``release(guid:)`` so tests can cancel mid-run.
///
/// Like the daemon, a held run outlives the caller that started it: when the caller's task is
/// cancelled (a server shutting down), ``run(_:observer:)`` throws `CancellationError` at once
/// and the run stays held, to be re-attached, released or cancelled later.
public actor InMemoryLauncher: SimulationLauncher {
    /// What one run does.
    public struct Script: Sendable {
        public var statuses: [(Double?, String)]
        public var exitCode: Int
        /// Written to `output/logs/exit_status` when set.
        public var exitStatus: String?
        /// Files written under the output directory, by relative path.
        public var files: [String: String]
        /// Stay running until released or cancelled.
        public var hold: Bool

        public init(
            statuses: [(Double?, String)] = [(50, "Solving"), (100, "Done")], exitCode: Int = 0,
            exitStatus: String? = "0\nSuccess", files: [String: String] = ["result.txt": "42\n"], hold: Bool = false
        ) {
            self.statuses = statuses
            self.exitCode = exitCode
            self.exitStatus = exitStatus
            self.files = files
            self.hold = hold
        }
    }

    public let capacity: Int
    private let script: @Sendable (LaunchSpecification) -> Script
    /// A held run: the caller waiting for it (nil once it detached), and what to write on release.
    private struct Hold: Sendable {
        var waiter: CheckedContinuation<RunResult?, Never>?
        var script: Script
        var output: URL
    }

    /// Behind a lock, not the actor: a cancellation handler (synchronous) detaches the waiter.
    private nonisolated let holding = Mutex<[String: Hold]>([:])
    private var known: [String: LauncherRunState] = [:]
    private var active = 0
    /// Every START accepted, in order.
    public private(set) var launched: [LaunchSpecification] = []
    /// STARTs refused for capacity.
    public private(set) var refused = 0
    /// The highest number of runs at once.
    public private(set) var peak = 0

    public init(capacity: Int = 30, script: @escaping @Sendable (LaunchSpecification) -> Script = { _ in Script() }) {
        self.capacity = capacity
        self.script = script
    }

    public func run(_ specification: LaunchSpecification, observer: LaunchObserver) async throws -> RunResult {
        guard active < capacity else {
            refused += 1
            throw LauncherAtCapacity(message: "Too many containers (max: \(capacity))")
        }
        active += 1
        peak = max(peak, active)
        launched.append(specification)
        known[specification.guid] = .running
        let script = script(specification)
        await observer.started("memory-\(specification.guid)", "sha256:in-memory")
        for (percentage, message) in script.statuses { await observer.status(percentage, message) }
        var result = RunResult(exitCode: script.exitCode, imageID: "sha256:in-memory", outputCollected: true)
        if script.hold {
            let guid = specification.guid
            let hold = Hold(script: script, output: specification.output)
            let held: RunResult? = await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let detached = Task.isCancelled
                    self.holding.withLock {
                        var entry = hold
                        if !detached { entry.waiter = continuation }
                        $0[guid] = entry
                    }
                    if detached { continuation.resume(returning: nil) }
                }
            } onCancel: {
                let waiter = self.holding.withLock { holds -> CheckedContinuation<RunResult?, Never>? in
                    defer { holds[guid]?.waiter = nil }
                    return holds[guid]?.waiter
                }
                waiter?.resume(returning: nil)
            }
            // Detached: the run stays held (and counted) until released or cancelled.
            guard let held else { throw CancellationError() }
            result = held
        }
        defer {
            active -= 1
            known[specification.guid] = .exited
        }
        if !result.cancelled { try write(script, to: specification.output) }
        return result
    }

    private func write(_ script: Script, to output: URL) throws {
        let fm = FileManager.default
        for (path, contents) in script.files {
            let url = output.appendingPathComponent(path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents.utf8).write(to: url)
        }
        if let exitStatus = script.exitStatus {
            let logs = output.appendingPathComponent("logs")
            try fm.createDirectory(at: logs, withIntermediateDirectories: true)
            try Data(exitStatus.utf8).write(to: logs.appendingPathComponent("exit_status"))
            try Data("in-memory stdout\n".utf8).write(to: logs.appendingPathComponent("job.out"))
            try Data("in-memory stderr\n".utf8).write(to: logs.appendingPathComponent("job.err"))
        }
    }

    /// Lets a held run finish successfully.
    public func release(guid: String) {
        guard let hold = holding.withLock({ $0.removeValue(forKey: guid) }) else { return }
        if let waiter = hold.waiter {
            waiter.resume(returning: RunResult(exitCode: 0, imageID: "sha256:in-memory", outputCollected: true))
        } else {
            // Its caller detached: the run ends here, as a container would without anyone watching.
            do { try write(hold.script, to: hold.output) } catch { known[guid] = .exited }
            endDetached(guid)
        }
    }

    private func endDetached(_ guid: String) {
        active -= 1
        known[guid] = .exited
    }

    /// Number of runs currently held.
    public var heldCount: Int { holding.withLock { $0.count } }

    public func attach(guid: String, observer: LaunchObserver) async throws -> RunResult {
        guard known[guid] != nil else { throw GSSAError.client("unknown run \(guid)") }
        return RunResult(exitCode: 0, imageID: "sha256:in-memory", outputCollected: true)
    }

    public func state(guid: String) -> LauncherRunState { known[guid] ?? .gone }

    public func cancel(guid: String) throws {
        guard let hold = holding.withLock({ $0.removeValue(forKey: guid) }) else {
            if known[guid] == nil { throw GSSAError.client("unknown run \(guid)") }
            return
        }
        if let waiter = hold.waiter {
            waiter.resume(returning: RunResult(exitCode: 137, cancelled: true, imageID: "sha256:in-memory"))
        } else {
            endDetached(guid)
        }
    }

    public func logs(guid: String) throws -> LogsReply {
        guard known[guid] != nil else { throw GSSAError.client("unknown run \(guid)") }
        return LogsReply(stdout: "in-memory stdout\n", stderr: "in-memory stderr\n")
    }

    public func usage() -> UsageReply { UsageReply(running: active, max: capacity) }

    /// Runs paused by ``suspend(guid:)``.
    public private(set) var suspended: Set<String> = []

    public func suspend(guid: String) throws {
        guard heldCount > 0, holding.withLock({ $0[guid] != nil }) else { throw GSSAError.client("SUSPEND: run \(guid) is not running") }
        guard suspended.insert(guid).inserted else { throw GSSAError.client("SUSPEND: run \(guid) is suspended already") }
    }

    public func resume(guid: String) throws {
        guard suspended.remove(guid) != nil else { throw GSSAError.client("RESUME: run \(guid) is not suspended") }
    }
}
