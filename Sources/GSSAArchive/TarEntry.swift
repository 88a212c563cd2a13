#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One member of an uncompressed tar that the daemon builds for a container.
///
/// Unlike ``TarGzWriter`` members, these carry an owner: files staged into a container must
/// belong to the user the job runs as, not to the daemon.
public struct TarEntry: Sendable, Hashable {
    public enum Content: Sendable, Hashable {
        case directory
        /// Regular file whose bytes are given.
        case data(Data)
        /// Regular file whose bytes are read from a host file when the archive is written.
        case file(URL)
        case symlink(target: String)
    }

    /// Relative path inside the archive, `/`-separated, no leading `/`.
    public var path: String
    public var content: Content
    public var mode: UInt32
    public var uid: Int
    public var gid: Int

    public init(path: String, content: Content, mode: UInt32, uid: Int = 0, gid: Int = 0) {
        self.path = path
        self.content = content
        self.mode = mode
        self.uid = uid
        self.gid = gid
    }
}
