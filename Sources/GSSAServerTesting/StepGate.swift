import Foundation
import GSSAServer

/// Holds one step of the server's ``BlockingWork`` at a gate, the way a slow disk would: the
/// pool thread doing the work blocks until ``open()``. Tests interleave other requests while
/// it is held (``reached()`` tells when it is), without timing assumptions.
public final class StepGate: @unchecked Sendable {
    public let step: BlockingWork.Step
    /// Which occurrence of ``step`` to hold (1 = the first).
    public let occurrence: Int
    private let condition = NSCondition()
    private var seen = 0
    private var held = false
    private var opened = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(holding step: BlockingWork.Step, occurrence: Int = 1) {
        self.step = step
        self.occurrence = occurrence
    }

    /// A ``BlockingWork`` that passes every step through this gate.
    public var work: BlockingWork { BlockingWork(before: { [self] step, key in self.pass(step, key) }) }

    /// Called on the pool's thread before each step: blocks at the held occurrence until opened.
    public func pass(_ step: BlockingWork.Step, _ key: String) {
        condition.lock()
        guard step == self.step else { return condition.unlock() }
        seen += 1
        guard seen == occurrence else { return condition.unlock() }
        held = true
        let waiting = waiters
        waiters = []
        condition.unlock()
        for waiter in waiting { waiter.resume() }
        condition.lock()
        while !opened { condition.wait() }
        condition.unlock()
    }

    /// Returns once the held step has reached the gate.
    public func reached() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if held {
                condition.unlock()
                continuation.resume()
            } else {
                waiters.append(continuation)
                condition.unlock()
            }
        }
    }

    /// Lets the held step (and every later one) through.
    public func open() {
        condition.lock()
        opened = true
        condition.broadcast()
        condition.unlock()
    }
}
