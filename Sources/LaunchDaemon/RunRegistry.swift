import Foundation
import GSSACore
import LaunchProtocol
import Synchronization

/// The daemon's book of runs: the cap, ownership, state and event fan-out.
///
/// An actor, so the cap check and the reservation that follows it are one step: two
/// concurrent STARTs can never both take the last slot.
public actor RunRegistry {
    /// One run as the daemon tracks it.
    public struct Run: Sendable {
        public var guid: String
        public var owner: UInt32
        public var output: String
        public var state: RunState
        public var containerID: String?
        public var imageID: String?
        public var result: RunResult?
        public var timedOut = false
        public var cancelled = false
        /// When the run finished (or was found exited): drives the orphan TTL.
        public var endedAt: Date?
        /// The caller's gid and supplementary groups: the output is written with them.
        public var ownerGID: UInt32 = UInt32.max
        public var ownerGroups: [UInt32] = []
        /// Limits recorded for the outcome's message (walltime, memory) and the output quota.
        public var walltime: Double?
        public var memoryLimit: Int64?
        public var maxOutputBytes: Int64?
        /// The limit the run hit when it was timed out (walltime or WAIT timeout), in seconds.
        public var timedOutAfter: Double?
        public var startedAt: Date?
        /// When the walltime runs out; moved on by the time spent paused (``resumed(_:at:)``).
        public var deadline: Date?
        /// Since when the container is paused (`SUSPEND`); nil while it runs.
        public var pausedAt: Date?

        /// The credentials the daemon uses for this run's files.
        public var caller: PeerCredentials {
            PeerCredentials(
                uid: self.owner, gid: self.ownerGID == UInt32.max ? self.owner : self.ownerGID, pid: 0,
                groups: self.ownerGroups)
        }
    }

    private struct Subscriber {
        var logs: Bool
        var continuation: AsyncStream<LaunchEvent>.Continuation
    }

    private let maxContainers: Int
    private let maxStatusHistory = 1000
    private let maxLogBytes = 1 << 20
    private var runs: [String: Run] = [:]
    private var statusHistory: [String: [LaunchEvent]] = [:]
    private var logText: [String: [LogStream: String]] = [:]
    /// Behind a lock, not the actor: a stream's termination handler (synchronous) unsubscribes.
    private nonisolated let subscribers = Mutex<[String: [UUID: Subscriber]]>([:])
    private var finishWaiters: [String: [UUID: FinishWaiter]] = [:]
    /// Containers whose removal failed (engine away, restarting): the reaper retries them.
    private var pendingRemovals: [String: String] = [:]

    public init(maxContainers: Int) {
        self.maxContainers = maxContainers
    }

    /// Runs that hold a container slot: starting or running.
    public var activeCount: Int { self.runs.values.filter { $0.state == .starting || $0.state == .running }.count }

    public func run(_ guid: String) -> Run? { self.runs[guid] }
    public var allRuns: [Run] { Array(self.runs.values) }

    /// Reserves a slot for a new run, refusing with the daemon's exact messages.
    public func reserve(guid: String, owner: UInt32, output: String) throws {
        try self.reserve(Run(guid: guid, owner: owner, output: output, state: .starting))
    }

    /// Reserves a slot for `run` (state `starting`), refusing with the daemon's exact messages.
    public func reserve(_ run: Run) throws {
        let guid = run.guid
        if self.runs[guid] != nil { throw GSSAError.client("A run with GUID \(guid) already exists") }
        // Exactly `running >= max`: the (max+1)th is refused (reference §9 item 24).
        if self.activeCount >= self.maxContainers {
            throw GSSAError.server("Too many containers (max: \(self.maxContainers))")
        }
        var run = run
        run.state = .starting
        self.runs[guid] = run
    }

    /// Records the container of a run still starting; true when a DESTROY already cancelled it.
    public func markCreated(_ guid: String, containerID: String) -> Bool {
        self.runs[guid]?.containerID = containerID
        return self.runs[guid]?.cancelled ?? true
    }

    /// Whether the run was cancelled (or is gone).
    public func isCancelled(_ guid: String) -> Bool { self.runs[guid]?.cancelled ?? true }

    /// Drops a reservation whose START failed.
    public func release(_ guid: String) {
        self.runs.removeValue(forKey: guid)
        self.finishSubscribers(guid)
    }

    /// Records a run found in the engine at startup.
    public func adopt(_ run: Run) {
        self.runs[run.guid] = run
    }

    /// The container started; true when a DESTROY cancelled the run meanwhile (the caller stops it).
    @discardableResult
    public func markRunning(_ guid: String, containerID: String, imageID: String) -> Bool {
        self.runs[guid]?.state = .running
        self.runs[guid]?.containerID = containerID
        self.runs[guid]?.imageID = imageID
        self.runs[guid]?.startedAt = Date()
        return self.runs[guid]?.cancelled ?? true
    }

    /// Sets the run's walltime deadline (at start and on adoption).
    public func setDeadline(_ guid: String, _ deadline: Date) {
        self.runs[guid]?.deadline = deadline
    }

    /// The container was paused: the walltime clock stops.
    public func paused(_ guid: String, at time: Date = Date()) {
        guard self.runs[guid] != nil, self.runs[guid]?.pausedAt == nil else { return }
        self.runs[guid]?.pausedAt = time
    }

    /// The container was unpaused: the deadline moves on by the time it was paused.
    public func resumed(_ guid: String, at time: Date = Date()) {
        guard let run = self.runs[guid], let since = run.pausedAt else { return }
        self.runs[guid]?.pausedAt = nil
        if let deadline = run.deadline {
            self.runs[guid]?.deadline = deadline.addingTimeInterval(max(0, time.timeIntervalSince(since)))
        }
    }

    public func markExited(_ guid: String) {
        guard self.runs[guid]?.state == .running else { return }
        self.runs[guid]?.state = .exited
        self.runs[guid]?.endedAt = Date()
    }

    /// Claims collection of an exited run; false if someone else already did.
    public func claimCollection(_ guid: String) -> Bool {
        guard let run = self.runs[guid], run.state == .exited, run.result == nil else { return false }
        self.runs[guid]?.state = .running  // collecting; counted as busy until finished
        return true
    }

    /// The run is being killed for its time: `after` is the limit it hit, in seconds.
    public func markTimedOut(_ guid: String, after seconds: Double? = nil) {
        guard self.runs[guid] != nil, self.runs[guid]?.timedOut == false else { return }
        self.runs[guid]?.timedOut = true
        self.runs[guid]?.timedOutAfter = seconds
    }
    public func markCancelled(_ guid: String) { self.runs[guid]?.cancelled = true }

    /// Final state: publishes the exit event and wakes waiters.
    public func finish(_ guid: String, result: RunResult) {
        guard self.runs[guid] != nil else { return }
        self.runs[guid]?.state = .finished
        self.runs[guid]?.result = result
        self.runs[guid]?.endedAt = Date()
        let event = LaunchEvent.exit(guid: guid, result: result)
        for subscriber in self.subscribers(of: guid) {
            subscriber.continuation.yield(event)
        }
        self.finishSubscribers(guid)
        for waiter in self.finishWaiters.removeValue(forKey: guid)?.values ?? [:].values {
            waiter.resolve(result)
        }
    }

    /// Forgets a run entirely (after its TTL).
    public func forget(_ guid: String) {
        self.runs.removeValue(forKey: guid)
        self.statusHistory.removeValue(forKey: guid)
        self.logText.removeValue(forKey: guid)
        self.finishSubscribers(guid)
    }

    // MARK: Events

    public func publish(_ event: LaunchEvent) {
        let guid = event.guid
        switch event {
        case .status:
            var history = self.statusHistory[guid, default: []]
            history.append(event)
            if history.count > self.maxStatusHistory { history.removeFirst(history.count - self.maxStatusHistory) }
            self.statusHistory[guid] = history
        case .log(_, let stream, let line):
            var text = self.logText[guid, default: [:]][stream, default: ""]
            text += line + "\n"
            if text.utf8.count > self.maxLogBytes {
                text = String(text.utf8.suffix(self.maxLogBytes / 2)) ?? ""
            }
            self.logText[guid, default: [:]][stream] = text
        case .exit:
            return
        }
        for subscriber in self.subscribers(of: guid) {
            if case .log = event, !subscriber.logs { continue }
            subscriber.continuation.yield(event)
        }
    }

    /// The run's events from now on, after a replay of its status history (and its exit
    /// event if it has finished). The stream ends after the exit event.
    public func subscribe(_ guid: String, logs: Bool) -> AsyncStream<LaunchEvent> {
        let (stream, continuation) = AsyncStream<LaunchEvent>.makeStream()
        for event in self.statusHistory[guid] ?? [] { continuation.yield(event) }
        if let result = self.runs[guid]?.result {
            continuation.yield(.exit(guid: guid, result: result))
            continuation.finish()
            return stream
        }
        let key = UUID()
        self.subscribers.withLock { $0[guid, default: [:]][key] = Subscriber(logs: logs, continuation: continuation) }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(guid, key) }
        return stream
    }

    private nonisolated func unsubscribe(_ guid: String, _ key: UUID) {
        self.subscribers.withLock { all in
            all[guid]?.removeValue(forKey: key)
            if all[guid]?.isEmpty == true { all.removeValue(forKey: guid) }
        }
    }

    private func subscribers(of guid: String) -> [Subscriber] {
        self.subscribers.withLock { Array(($0[guid] ?? [:]).values) }
    }

    private func finishSubscribers(_ guid: String) {
        let ended = self.subscribers.withLock { $0.removeValue(forKey: guid) } ?? [:]
        for subscriber in ended.values {
            subscriber.continuation.finish()
        }
    }

    public func logs(_ guid: String) -> [LogStream: String] { self.logText[guid] ?? [:] }

    /// Waits until the run finishes or `timeout` passes; nil on timeout (or when the caller is cancelled).
    public func waitForFinish(_ guid: String, timeout: Double?) async -> RunResult? {
        if let result = self.runs[guid]?.result { return result }
        guard self.runs[guid] != nil else { return nil }
        let key = UUID()
        let waiter = FinishWaiter()
        self.finishWaiters[guid, default: [:]][key] = waiter
        let result = await withTaskGroup(of: RunResult?.self) { group in
            group.addTask { await waiter.value() }
            if let timeout {
                // Callers validate; this clamp only guards the Duration conversion.
                let bounded = timeout.isFinite ? min(max(0, timeout), 31_536_000) : 0
                group.addTask {
                    try? await Task.sleep(for: .seconds(bounded))
                    return nil
                }
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        self.finishWaiters[guid]?.removeValue(forKey: key)
        if self.finishWaiters[guid]?.isEmpty == true { self.finishWaiters.removeValue(forKey: guid) }
        return result
    }

    // MARK: Removals to retry

    /// Records a container whose removal failed, for the reaper to retry.
    public func removalFailed(_ containerID: String, guid: String?) {
        self.pendingRemovals[containerID] = guid ?? ""
    }

    /// A container was removed (or is gone): no retry.
    public func removed(_ containerID: String) {
        self.pendingRemovals.removeValue(forKey: containerID)
    }

    /// Containers whose removal is still to be retried, with the GUID of their run ("" if none).
    public var removalsToRetry: [String: String] { self.pendingRemovals }
}

/// One WAIT on a run's end: resolved by ``RunRegistry/finish(_:result:)``, or nil when the
/// waiting task is cancelled.
private final class FinishWaiter: Sendable {
    private struct State {
        var result: RunResult??
        var continuation: CheckedContinuation<RunResult?, Never>?
    }

    private let state = Mutex(State())

    func resolve(_ result: RunResult?) {
        let continuation = self.state.withLock { state -> CheckedContinuation<RunResult?, Never>? in
            guard state.result == nil else { return nil }
            state.result = .some(result)
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: result)
    }

    func value() async -> RunResult? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = self.state.withLock { state -> RunResult?? in
                    if let result = state.result { return .some(result) }
                    state.continuation = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            self.resolve(nil)
        }
    }
}
