import Foundation

/// What a group of active runs holds: runs, cores, memory.
public struct ResourceTally: Sendable, Hashable {
    public var runs: Int
    public var cores: Double
    public var memory: Int64

    public init(runs: Int = 0, cores: Double = 0, memory: Int64 = 0) {
        self.runs = runs
        self.cores = cores
        self.memory = memory
    }

    mutating func add(_ request: ResourceRequest) {
        runs += 1
        cores += request.cores
        memory += request.memory
    }

    mutating func remove(_ request: ResourceRequest) {
        runs -= 1
        cores -= request.cores
        memory -= request.memory
    }
}
