import Foundation
import GSSA
import GSSAServer
import LaunchProtocol

/// A ``SimulationLauncher`` without containers, for unit tests.
///
/// It enforces a slot cap like the daemon, reports scripted statuses, writes scripted
/// output files, and can hold runs until ``release(guid:)`` so tests can cancel mid-run.
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
    private var holding: [String: CheckedContinuation<RunResult, Never>] = [:]
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
        defer { active -= 1 }
        launched.append(specification)
        known[specification.guid] = .running
        let script = script(specification)
        await observer.started("memory-\(specification.guid)", "sha256:in-memory")
        for (percentage, message) in script.statuses { await observer.status(percentage, message) }
        var result = RunResult(exitCode: script.exitCode, imageID: "sha256:in-memory", outputCollected: true)
        if script.hold {
            result = await withCheckedContinuation { holding[specification.guid] = $0 }
        }
        if !result.cancelled { try write(script, to: specification.output) }
        known[specification.guid] = .exited
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
        holding.removeValue(forKey: guid)?.resume(returning: RunResult(exitCode: 0, imageID: "sha256:in-memory", outputCollected: true))
    }

    /// Number of runs currently held.
    public var heldCount: Int { holding.count }

    public func attach(guid: String, observer: LaunchObserver) async throws -> RunResult {
        guard known[guid] != nil else { throw GSSAError.client("unknown run \(guid)") }
        return RunResult(exitCode: 0, imageID: "sha256:in-memory", outputCollected: true)
    }

    public func state(guid: String) -> LauncherRunState { known[guid] ?? .gone }

    public func cancel(guid: String) throws {
        guard let continuation = holding.removeValue(forKey: guid) else {
            if known[guid] == nil { throw GSSAError.client("unknown run \(guid)") }
            return
        }
        continuation.resume(returning: RunResult(exitCode: 137, cancelled: true, imageID: "sha256:in-memory"))
    }

    public func logs(guid: String) throws -> LogsReply {
        guard known[guid] != nil else { throw GSSAError.client("unknown run \(guid)") }
        return LogsReply(stdout: "in-memory stdout\n", stderr: "in-memory stderr\n")
    }

    public func usage() -> UsageReply { UsageReply(running: active, max: capacity) }
}
