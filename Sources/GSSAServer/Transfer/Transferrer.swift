import Foundation
import GSSA

/// One file to move: `local` relative to the run directory, `remote` as the transferrer names it.
public struct TransferFile: Sendable, Hashable, Codable {
    public var local: String
    public var remote: String
    public init(local: String, remote: String) {
        self.local = local
        self.remote = remote
    }
}

/// Moves inputs into a run directory and pushes results out (reference §8.1).
///
/// Unlike the original, a missing input is an `E_CLIENT` error naming the file rather than a
/// log line, and network transferrers are bounded by a timeout.
public protocol Transferrer: Sendable {
    /// Fetches every file into `root`; `remoteRoot` is the client directory prefix from finalize.
    func pull(_ files: [TransferFile], into root: URL, remoteRoot: String) async throws
    /// Sends existing files; returns `{local: remote}` of what was pushed.
    func push(_ files: [TransferFile], from root: URL, remoteRoot: String) async throws -> [String: String]
}

extension TransferFile {
    /// Refuses local names that could leave the run directory.
    func checkedLocal(in root: URL) throws(GSSAError) -> URL {
        guard SafePath.isSafeRelative(local) else {
            throw GSSAError.client("refused file name '\(local)': it must be relative and must not contain '..'")
        }
        return root.appendingPathComponent(local)
    }
}
