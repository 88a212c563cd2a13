/// Who is on the other end of a connection, as the kernel reports it (`SO_PEERCRED`).
///
/// Ownership of runs is keyed on ``uid``; a client cannot claim another identity.
public struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    public var uid: UInt32
    public var gid: UInt32
    public var pid: Int32

    public init(uid: UInt32, gid: UInt32, pid: Int32) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
    }

    public var description: String { "uid \(self.uid) (pid \(self.pid))" }
}
