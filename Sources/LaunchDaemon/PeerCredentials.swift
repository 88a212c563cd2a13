/// Who is on the other end of a connection, as the kernel reports it (`SO_PEERCRED`, and
/// `SO_PEERGROUPS` for the supplementary groups).
///
/// Ownership of runs is keyed on ``uid``; a client cannot claim another identity. The daemon
/// reads a caller's inputs and writes its outputs with exactly these credentials
/// (``CallerThread``), never with its own.
public struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    public var uid: UInt32
    public var gid: UInt32
    public var pid: Int32
    /// Supplementary groups; empty when unknown (then only ``gid`` counts, which can only
    /// take rights away, never add them).
    public var groups: [UInt32]

    public init(uid: UInt32, gid: UInt32, pid: Int32, groups: [UInt32] = []) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
        self.groups = groups
    }

    public var description: String { "uid \(self.uid) (pid \(self.pid))" }
}
