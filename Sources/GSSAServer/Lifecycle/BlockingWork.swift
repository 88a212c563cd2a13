import Foundation
import GSSA
import NIOCore
import NIOPosix

/// Runs the server's blocking file work — bundling, archive checks, extraction, configuration
/// and definition writes — on NIO's thread pool, so that neither the ``SimulationManager`` actor
/// nor the cooperative pool waits on the disk and every other request is answered meanwhile.
///
/// Callers re-check the run's state after each ``run(_:key:_:)``: the actor is free while the
/// work runs, so the run may have been cancelled or cleaned in between.
public struct BlockingWork: Sendable {
    /// What is being done, for tests that hold a step at a gate.
    public enum Step: String, Sendable {
        case bundle, checkArchive, pull, writeConfiguration, writeDefinition, usage
    }

    let pool: NIOThreadPool
    let before: (@Sendable (Step, String) -> Void)?

    /// - Parameters:
    ///   - pool: where the work runs (by default ``background``).
    ///   - before: called on the pool's thread, with the step and the run's key, before each piece
    ///     of work; tests block in it to hold a step where a blocking disk would (so a request that
    ///     still waited for the work would hang) and interleave other requests deterministically.
    public init(pool: NIOThreadPool = BlockingWork.background, before: (@Sendable (Step, String) -> Void)? = nil) {
        self.pool = pool
        self.before = before
    }

    /// The server's own pool for bulk file work (one thread per core, started once, never
    /// stopped). Its threads run at a lower CPU priority (nice +10): on a busy machine, gzip
    /// of a large bundle yields to the threads that answer requests.
    public static let background: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(2, System.coreCount))
        pool.start()
        return pool
    }()

    /// Lowers the calling thread's CPU priority to nice 10 (Linux: per thread; its ID read from
    /// `/proc/thread-self`), once per thread. Best effort: a thread left at normal priority only
    /// competes harder.
    static func lowerThreadPriority() {
        #if os(Linux)
        let dictionary = Thread.current.threadDictionary
        guard dictionary["gssa.niced"] == nil else { return }
        dictionary["gssa.niced"] = true
        guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self"),
            let thread = link.split(separator: "/").last.flatMap({ id_t($0) })
        else { return }
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread, 10)
        #endif
    }

    /// Runs `body` on the thread pool and returns its result (or rethrows its error).
    public func run<T: Sendable>(_ step: Step, key: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await pool.runIfActive { [before, pool] in
                if pool === BlockingWork.background { Self.lowerThreadPriority() }
                before?(step, key)
                return try body()
            }
        } catch let error as NIOThreadPoolError.ThreadPoolInactive {
            throw GSSAError.server("the server's file worker pool has stopped (\(error)); the server is shutting down")
        }
    }
}
