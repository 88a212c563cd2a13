import GSSACore
import Synchronization
import Testing

/// Work owned by a service: runs as children of `run()`, and nothing outlives the owner.
@Suite("Owned tasks")
struct OwnedTasksTests {
    /// A gate the work waits on, opened by the test.
    final class Gate: Sendable {
        private let waiters = Mutex<(open: Bool, continuations: [CheckedContinuation<Void, Never>])>((false, []))
        func open() {
            let continuations = self.waiters.withLock { state in
                state.open = true
                defer { state.continuations.removeAll() }
                return state.continuations
            }
            for continuation in continuations { continuation.resume() }
        }
        func wait() async {
            await withCheckedContinuation { continuation in
                let open = self.waiters.withLock { state in
                    if !state.open { state.continuations.append(continuation) }
                    return state.open
                }
                if open { continuation.resume() }
            }
        }
    }

    final class Counter: Sendable {
        private let value = Mutex(0)
        func add() { self.value.withLock { $0 += 1 } }
        var count: Int { self.value.withLock { $0 } }
    }

    @Test("work submitted before run() starts once run() does; wait() returns when it ends")
    func submittedBeforeRun() async {
        let owned = OwnedTasks()
        let done = Counter()
        let task = owned.submit { done.add() }
        #expect(!task.isDone)
        await withDiscardingTaskGroup { group in
            group.addTask { await owned.run() }
            await task.wait()
            #expect(task.isDone && done.count == 1)
            #expect(owned.count == 0)
            group.cancelAll()
        }
    }

    @Test("cancelling one piece cancels only it; the others run on")
    func cancelOne() async {
        let owned = OwnedTasks()
        let gate = Gate()
        let cancelled = Counter()
        let finished = Counter()
        await withDiscardingTaskGroup { group in
            group.addTask { await owned.run() }
            let victim = owned.submit {
                do { try await Task.sleep(for: .seconds(3600)) } catch { cancelled.add() }
            }
            let other = owned.submit {
                await gate.wait()
                finished.add()
            }
            victim.cancel()
            await victim.wait()
            #expect(cancelled.count == 1)
            #expect(!other.isDone)
            gate.open()
            await other.wait()
            #expect(finished.count == 1)
            group.cancelAll()
        }
    }

    @Test("cancelling run() cancels every piece and returns only after each has ended")
    func stoppingTheOwnerWaitsForTheWork() async {
        let owned = OwnedTasks()
        let ended = Counter()
        let started = Gate()
        let running = Counter()
        let tasks = (0..<5).map { _ in
            owned.submit {
                running.add()
                if running.count == 5 { started.open() }
                try? await Task.sleep(for: .seconds(3600))
                // Still running after the cancellation: run() must wait for this.
                await Task.yield()
                ended.add()
            }
        }
        await withDiscardingTaskGroup { group in
            group.addTask { await owned.run() }
            await started.wait()
            group.cancelAll()
        }
        // run() has returned: every piece has ended, none is left behind.
        #expect(ended.count == 5)
        let allDone = tasks.allSatisfy { $0.isDone }
        #expect(allDone)
        // The owner is gone: new work never starts, and its handle is done at once.
        let late = Counter()
        let task = owned.submit { late.add() }
        await task.wait()
        #expect(task.isDone && late.count == 0)
    }

    @Test("finish(): run() returns once the work already submitted has ended, without cancelling it")
    func finishLetsWorkComplete() async {
        let owned = OwnedTasks()
        let gate = Gate()
        let completed = Counter()
        let task = owned.submit {
            await gate.wait()
            if !Task.isCancelled { completed.add() }
        }
        await withDiscardingTaskGroup { group in
            group.addTask { await owned.run() }
            owned.finish()
            gate.open()
        }
        await task.wait()
        #expect(completed.count == 1)
    }

    @Test("cancelAll() cancels and waits for every piece; the owner keeps taking work")
    func cancelAllKeepsTheOwner() async {
        let owned = OwnedTasks()
        let cancelled = Counter()
        await withDiscardingTaskGroup { group in
            group.addTask { await owned.run() }
            for _ in 0..<3 {
                owned.submit {
                    do { try await Task.sleep(for: .seconds(3600)) } catch { cancelled.add() }
                }
            }
            await owned.cancelAll()
            #expect(cancelled.count == 3)
            #expect(owned.count == 0)
            let after = Counter()
            await owned.submit { after.add() }.wait()
            #expect(after.count == 1)
            group.cancelAll()
        }
    }
}
