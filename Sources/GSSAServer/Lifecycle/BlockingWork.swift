import Foundation
import GSSA
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
        case bundle, checkArchive, pull, writeConfiguration, writeDefinition
    }

    let pool: NIOThreadPool
    let before: (@Sendable (Step, String) -> Void)?

    /// - Parameters:
    ///   - pool: where the work runs (NIO's shared pool by default).
    ///   - before: called on the pool's thread, with the step and the run's key, before each piece
    ///     of work; tests block in it to hold a step where a blocking disk would (so a request that
    ///     still waited for the work would hang) and interleave other requests deterministically.
    public init(pool: NIOThreadPool = .singleton, before: (@Sendable (Step, String) -> Void)? = nil) {
        self.pool = pool
        self.before = before
    }

    /// Runs `body` on the thread pool and returns its result (or rethrows its error).
    public func run<T: Sendable>(_ step: Step, key: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await pool.runIfActive { [before] in
                before?(step, key)
                return try body()
            }
        } catch let error as NIOThreadPoolError.ThreadPoolInactive {
            throw GSSAError.server("the server's file worker pool has stopped (\(error)); the server is shutting down")
        }
    }
}
