import CDaemonSupport
import Foundation
import GSSACore

#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking file-system work on a fresh thread that holds only a caller's file rights.
///
/// The daemon runs as root so that it can talk to Docker; it must not lend that to its
/// callers. Every path a caller names (its input, its output) is opened, read and written on a
/// thread whose fsuid, fsgid and supplementary groups are the caller's (Linux keeps these per
/// thread; the raw syscalls change only this thread, and root's file capabilities drop with
/// the fsuid). So a check can never disagree with the use: the kernel applies the caller's
/// permissions to every `open`, `mkdir` and `rename` itself. The thread ends with the work,
/// so the switched credentials can never leak into other work.
///
/// When the daemon is not root it cannot switch, and its own (lesser) rights bound the work.
enum CallerThread {
    /// Runs `body` as `caller` and returns its result.
    static func run<T: Sendable>(
        as caller: PeerCredentials, _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let thread = Thread {
                continuation.resume(with: Result { () throws -> T in
                    try Self.become(caller)
                    return try body()
                })
            }
            thread.name = "gssa-as-uid-\(caller.uid)"
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    /// Whether this process can take on other users' file rights.
    static var canSwitch: Bool { geteuid() == 0 }

    /// Switches the calling thread; call only on a thread that ends after the work.
    private static func become(_ caller: PeerCredentials) throws {
        guard Self.canSwitch, caller.uid != 0 else { return }
        var groups = caller.groups.isEmpty ? [caller.gid] : caller.groups
        if !groups.contains(caller.gid) { groups.append(caller.gid) }
        let status = groups.withUnsafeBufferPointer {
            gssa_thread_become(caller.uid, caller.gid, $0.baseAddress, Int32($0.count))
        }
        guard status == 0 else {
            throw GSSAError.server("cannot take on the file rights of uid \(caller.uid): \(String(cString: strerror(status)))")
        }
    }
}
