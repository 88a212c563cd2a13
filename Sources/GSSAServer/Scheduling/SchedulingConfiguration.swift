import Foundation

/// How the server shares the host: the scheduler, the capacity it packs runs into, the
/// defaults and bounds of resource requests, per-family pools and rate limits.
public struct SchedulingConfiguration: Sendable {
    /// `--scheduler fifo|fairshare`.
    public var scheduler: any Scheduler
    /// The cores runs are packed into (`--cores`); nil: runs are not packed by cores, only the
    /// daemon's container cap applies (the behaviour before schedulers).
    public var hostCores: Double?
    /// Cores are counted `overcommit` times (`--overcommit`, default 1).
    public var overcommit: Double
    /// The memory runs are packed into (`--memory`); nil: not packed by memory.
    public var hostMemory: Int64?
    /// What a run asks for when neither its family nor its definition says: 1 core, 2 GiB (the daemon's default limits).
    public var defaultRequest: ResourceRequest
    /// Most one run may ask for (`--max-run-cores`, `--max-run-memory`); nil: the whole host.
    public var maximumRequest: ResourceBounds?
    /// Half-life of past usage under `fairshare`, in seconds (`--fairshare-half-life`, default one day).
    public var halfLife: Double
    /// Most runs of a family at once, by family name (`--pool FAMILY=N`, or `family.yml` `pool`).
    public var pools: [String: Int]
    /// Most queued runs per user (`--max-pending-per-user`); over it, `start` is HTTP 429.
    public var maximumPendingPerUser: Int
    /// Most queued runs in total (`--max-pending`); over it, `start` is HTTP 429.
    public var maximumPending: Int

    public init(
        scheduler: any Scheduler = FIFOScheduler(), hostCores: Double? = nil, overcommit: Double = 1, hostMemory: Int64? = nil,
        defaultRequest: ResourceRequest = ResourceRequest(cores: 1, memory: 2 << 30), maximumRequest: ResourceBounds? = nil,
        halfLife: Double = 86_400, pools: [String: Int] = [:], maximumPendingPerUser: Int = 1_000, maximumPending: Int = 10_000
    ) {
        self.scheduler = scheduler
        self.hostCores = hostCores
        self.overcommit = overcommit
        self.hostMemory = hostMemory
        self.defaultRequest = defaultRequest
        self.maximumRequest = maximumRequest
        self.halfLife = halfLife
        self.pools = pools
        self.maximumPendingPerUser = maximumPendingPerUser
        self.maximumPending = maximumPending
    }

    /// Cores runs may hold at once: `--cores` times the overcommit (infinite without `--cores`).
    public var capacityCores: Double { hostCores.map { $0 * overcommit } ?? .infinity }
    /// Memory runs may hold at once (unbounded without `--memory`).
    public var capacityMemory: Int64 { hostMemory ?? .max }

    /// The bounds a request is checked against at finalize: the configured maximum, never more
    /// than the whole host (the packed capacity, or this machine's cores and memory).
    public var bounds: ResourceBounds {
        let machineCores = Double(ProcessInfo.processInfo.activeProcessorCount) * overcommit
        let machineMemory = Int64(clamping: ProcessInfo.processInfo.physicalMemory)
        let host = ResourceBounds(cores: hostCores.map { $0 * overcommit } ?? machineCores, memory: hostMemory ?? machineMemory)
        guard let maximumRequest else { return host }
        return ResourceBounds(cores: min(maximumRequest.cores, host.cores), memory: min(maximumRequest.memory, host.memory),
                              walltime: maximumRequest.walltime)
    }

    /// The scheduler a `--scheduler` name stands for; nil for an unknown name.
    public static func scheduler(named name: String, weights: FairShareScheduler.Weights = .init()) -> (any Scheduler)? {
        switch name {
        case "fifo": FIFOScheduler()
        case "fairshare": FairShareScheduler(weights: weights)
        default: nil
        }
    }
}
