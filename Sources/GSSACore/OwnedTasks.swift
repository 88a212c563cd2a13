import Synchronization

/// Background work owned by a long-lived service: every piece runs as a child of one task
/// group that the service's `run()` drives, so stopping the service cancels the work and
/// waits for it to end. Nothing is left running unowned (no `Task {}` that outlives its owner).
///
/// ``submit(_:)`` is synchronous and may be called from anywhere (an actor, a callback); the
/// work starts once ``run()`` picks it up. Each piece can be cancelled or awaited on its own
/// through the ``OwnedTask`` handle, all at once with ``cancelAll()``, or by cancelling the
/// task that calls ``run()``. Work submitted after ``run()`` has ended never starts: its
/// handle is already done.
public final class OwnedTasks: Sendable {
    private struct State {
        /// Submitted and not yet ended (started or not).
        var live: [ObjectIdentifier: OwnedTask] = [:]
        var started = false
        var closed = false
    }

    private let state = Mutex(State())
    private let queue: AsyncStream<OwnedTask>
    private let intake: AsyncStream<OwnedTask>.Continuation

    /// Creates an empty set of tasks; nothing runs until ``run()`` is called.
    public init() {
        (self.queue, self.intake) = AsyncStream<OwnedTask>.makeStream()
    }

    /// Runs submitted work until ``finish()`` is called (then waits for the work submitted
    /// so far) or the calling task is cancelled (then every piece sees the cancellation and
    /// is waited for). Call it once, from the owner's `run()`.
    public func run() async {
        let first = self.state.withLock { state in
            defer { state.started = true }
            return !state.started
        }
        precondition(first, "OwnedTasks.run() is called once, by the owner")
        await withDiscardingTaskGroup { group in
            // Ends when the calling task is cancelled; the children inherit that cancellation.
            for await task in self.queue {
                group.addTask { await task.execute() }
            }
        }
        self.intake.finish()
        let leftovers = self.state.withLock { state in
            state.closed = true
            return Array(state.live.values)
        }
        // Submitted but never started: done without running.
        for task in leftovers { task.complete() }
    }

    /// Hands `operation` to the owner's group; it starts as soon as ``run()`` picks it up.
    @discardableResult
    public func submit(_ operation: @escaping @Sendable () async -> Void) -> OwnedTask {
        let task = OwnedTask(operation)
        let id = ObjectIdentifier(task)
        let accepted = self.state.withLock { state in
            guard !state.closed else { return false }
            state.live[id] = task
            return true
        }
        guard accepted else {
            task.complete()
            return task
        }
        task.onEnd { [weak self] in self?.state.withLock { _ = $0.live.removeValue(forKey: id) } }
        self.intake.yield(task)
        return task
    }

    /// Takes no more work: ``run()`` returns once the work already submitted has ended.
    /// Later submissions never start (their handles are done at once).
    public func finish() {
        self.state.withLock { $0.closed = true }
        self.intake.finish()
    }

    /// How many pieces were submitted and have not ended.
    public var count: Int { self.state.withLock { $0.live.count } }

    /// Cancels every piece of work submitted so far and waits until each has ended. The
    /// owner keeps running: later submissions start as usual.
    public func cancelAll() async {
        let tasks = self.state.withLock { Array($0.live.values) }
        for task in tasks { task.cancel() }
        for task in tasks { await task.wait() }
    }
}

/// One piece of ``OwnedTasks`` work: cancel it, or wait for it to end.
public final class OwnedTask: Sendable {
    private struct State {
        var cancelRequested = false
        var stopWatching = false
        var watcher: CheckedContinuation<Void, Never>?
        var done = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var endActions: [@Sendable () -> Void] = []
    }

    private let operation: @Sendable () async -> Void
    private let state = Mutex(State())

    init(_ operation: @escaping @Sendable () async -> Void) {
        self.operation = operation
    }

    /// Whether the work has ended (or will never start).
    public var isDone: Bool { self.state.withLock { $0.done } }

    /// Cancels the work (cooperatively, like `Task.cancel()`); a piece not started yet ends at once when it starts.
    public func cancel() {
        let watcher = self.state.withLock { state in
            state.cancelRequested = true
            defer { state.watcher = nil }
            return state.watcher
        }
        watcher?.resume()
    }

    /// Waits until the work has ended. Not cut short by the caller's cancellation, like `Task.value`.
    public func wait() async {
        await withCheckedContinuation { continuation in
            let done = self.state.withLock { state in
                if !state.done { state.waiters.append(continuation) }
                return state.done
            }
            if done { continuation.resume() }
        }
    }

    /// Runs the operation as a child of the caller, cancelled when ``cancel()`` is called.
    func execute() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.operation() }
            group.addTask { await self.untilCancelRequested() }
            _ = await group.next()
            group.cancelAll()
        }
        self.complete()
    }

    /// Returns once ``cancel()`` is called or the calling task is cancelled.
    private func untilCancelRequested() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = self.state.withLock { state in
                    if state.cancelRequested || state.stopWatching { return true }
                    state.watcher = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let watcher = self.state.withLock { state in
                state.stopWatching = true
                defer { state.watcher = nil }
                return state.watcher
            }
            watcher?.resume()
        }
    }

    /// Runs `action` once the work has ended (at once if it has).
    func onEnd(_ action: @escaping @Sendable () -> Void) {
        let done = self.state.withLock { state in
            if !state.done { state.endActions.append(action) }
            return state.done
        }
        if done { action() }
    }

    /// Marks the work ended and wakes everyone waiting for it.
    func complete() {
        let (waiters, actions) = self.state.withLock { state in
            state.done = true
            defer {
                state.waiters.removeAll()
                state.endActions.removeAll()
            }
            return (state.waiters, state.endActions)
        }
        for waiter in waiters { waiter.resume() }
        for action in actions { action() }
    }
}
