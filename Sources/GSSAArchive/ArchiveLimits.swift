#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Bounds on what an untrusted archive may expand to, so a small upload cannot fill a disk
/// (a "zip bomb") or an inode table.
public struct ArchiveLimits: Sendable, Hashable {
    /// Most members (files, directories, links) accepted.
    public var maximumEntries: Int
    /// Largest total of the members' contents, in bytes.
    public var maximumExpandedBytes: Int64

    public init(maximumEntries: Int, maximumExpandedBytes: Int64) {
        self.maximumEntries = maximumEntries
        self.maximumExpandedBytes = maximumExpandedBytes
    }

    /// Which limit an archive crossed.
    public enum Exceeded: Sendable, Hashable {
        case entries(limit: Int)
        case expandedBytes(limit: Int64)

        /// "holds more than N entries" / "expands beyond N bytes".
        public var reason: String {
            switch self {
            case .entries(let limit): "holds more than \(limit) entries (the maximum entry count)"
            case .expandedBytes(let limit): "expands beyond \(limit) bytes (the maximum expanded size)"
            }
        }
    }
}
