/// Bounds on what an untrusted archive may expand to, so a small upload cannot fill a disk
/// (a "zip bomb") or an inode table: the limits half of the extraction policy (``ArchivePolicy``),
/// applied by every back end while it decompresses.
public struct ArchiveLimits: Sendable, Hashable {
    /// Most members (files, directories, links) accepted.
    public var maximumEntries: Int
    /// Largest total of the members' contents, in bytes.
    public var maximumExpandedBytes: Int64

    /// Creates limits.
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

extension ArchiveLimits {
    /// The runner's bounds on a start archive (a model's scripts and small data): 100 000
    /// members, 2 GiB expanded, the launch daemon's default output quota.
    public static let startArchive = ArchiveLimits(maximumEntries: 100_000, maximumExpandedBytes: 2 << 30)
}
