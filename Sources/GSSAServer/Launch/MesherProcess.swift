import Foundation
import Synchronization
import GSSA

#if canImport(Glibc)
import Glibc
#endif

/// Runs a mesher as a child process, so that a cancelled run can stop it at once.
///
/// The child's stdout and stderr go to a log file and, line by line, to `progress`.
/// Cancelling the calling task sends SIGKILL, and ``run(executable:arguments:log:progress:)``
/// returns only once the child is gone, so nothing keeps writing into the run directory.
enum MesherProcess {
    /// Most lines relayed as progress; the log keeps everything.
    static let maxRelayedLines = 200

    /// Starts `executable` and waits for it. Returns its exit status.
    /// - Throws: `CancellationError` when the task was cancelled (the child has been killed);
    ///   `E_SERVER` when it cannot be started.
    static func run(
        executable: URL, arguments: [String], log: URL, progress: @escaping @Sendable (Double?, String) async -> Void
    ) async throws -> Int32 {
        guard FileManager.default.createFile(atPath: log.path, contents: nil),
            let logHandle = try? FileHandle(forWritingTo: log)
        else {
            throw GSSAError.server("cannot write the mesher log \(log.path)")
        }
        defer { try? logHandle.close() }
        let child = Child()
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { child.exited($0.terminationStatus) }
        let (lines, sink) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(64))
        return try await withTaskCancellationHandler {
            do {
                try process.run()
            } catch {
                throw GSSAError.server("cannot run the mesher \(executable.path): \(error)")
            }
            child.started(process.processIdentifier)
            // Blocking reads belong on their own thread, never on the cooperative pool.
            let reader = pipe.fileHandleForReading
            Thread.detachNewThread {
                var pending = Data()
                while true {
                    let data = reader.availableData
                    if data.isEmpty { break }
                    logHandle.write(data)
                    pending.append(data)
                    while let newline = pending.firstIndex(of: 0x0A) {
                        let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                        pending.removeSubrange(pending.startIndex...newline)
                        if !line.isEmpty { sink.yield(line) }
                    }
                    if pending.count > 64 << 10 { pending.removeAll() }
                }
                sink.finish()
            }
            var relayed = 0
            for await line in lines where relayed < maxRelayedLines {
                relayed += 1
                await progress(nil, String(line.prefix(500)))
            }
            let status = await child.wait()
            if child.wasKilled { throw CancellationError() }
            return status
        } onCancel: {
            child.kill()
        }
    }

    /// The child's pid and exit, shared between the caller, the cancellation handler and
    /// Foundation's termination handler.
    final class Child: Sendable {
        private struct State {
            var pid: pid_t = 0
            var killRequested = false
            var status: Int32?
            var waiter: CheckedContinuation<Int32, Never>?
        }

        private let state = Mutex(State())

        var wasKilled: Bool { state.withLock { $0.killRequested } }

        func started(_ pid: pid_t) {
            state.withLock { state in
                state.pid = pid
                if state.killRequested, state.status == nil, pid > 0 { _ = Glibc.kill(pid, SIGKILL) }
            }
        }

        func kill() {
            state.withLock { state in
                state.killRequested = true
                if state.pid > 0, state.status == nil { _ = Glibc.kill(state.pid, SIGKILL) }
            }
        }

        func exited(_ status: Int32) {
            let waiter = state.withLock { state -> CheckedContinuation<Int32, Never>? in
                state.status = status
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: status)
        }

        /// Waits for the exit, even when the calling task is cancelled (the kill is on its way).
        func wait() async -> Int32 {
            await withCheckedContinuation { continuation in
                let done = state.withLock { state -> Int32? in
                    if let status = state.status { return status }
                    state.waiter = continuation
                    return nil
                }
                if let done { continuation.resume(returning: done) }
            }
        }
    }
}
