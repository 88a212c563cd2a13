import Foundation

/// Runs blocking work (waiting for a child process, reading a pipe to its end) on a thread of
/// its own and awaits it.
///
/// Swift Testing runs tests in parallel on the cooperative pool, which has one thread per core:
/// two on the machines this suite runs on. A test that blocks a pool thread for the minute a
/// `gssa run` takes starves every other test in the process (in-process servers and daemons
/// then miss their timeouts), so blocking calls in tests go through here.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try work() })
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

extension Process {
    /// Waits for the process to exit without holding a cooperative thread.
    public func exit() async -> Int32 {
        let process = UnsafeProcess(self)
        return await withCheckedContinuation { continuation in
            Thread {
                process.value.waitUntilExit()
                continuation.resume(returning: process.value.terminationStatus)
            }.start()
        }
    }
}

/// `Process` is not `Sendable`; a started process is only waited on from the other thread.
private struct UnsafeProcess: @unchecked Sendable {
    let value: Process
    init(_ value: Process) { self.value = value }
}
