import Foundation

/// What the scheduler packs runs into: cores × overcommit, memory, and container slots.
public struct HostCapacity: Sendable, Hashable {
    /// Cores runs may hold at once: the host's cores times the overcommit.
    public var cores: Double
    /// Bytes of memory runs may hold at once.
    public var memory: Int64
    /// Container slots still free at the daemon (its cap, 30 by default, stays a hard ceiling).
    public var freeSlots: Int

    public init(cores: Double, memory: Int64, freeSlots: Int) {
        self.cores = cores
        self.memory = memory
        self.freeSlots = freeSlots
    }
}
