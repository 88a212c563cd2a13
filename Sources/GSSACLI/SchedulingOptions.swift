import ArgumentParser
import Foundation
import GSSA
import GSSAServer
import LaunchProtocol

/// `gssa server`'s scheduling options: the scheduler, the host's capacity, run requests,
/// fair-share weights, pools and rate limits (docs/administration.md).
struct SchedulingOptions: ParsableArguments {
    @Option(help: "Scheduler: fifo (first queued, first started) or fairshare.") var scheduler = "fifo"
    @Option(help: "Cores runs are packed into (default: no packing by cores, only the daemon's container cap).") var cores: Double?
    @Option(help: "Cores are counted this many times (1 = no overcommit).") var overcommit: Double = 1
    @Option(help: "Memory runs are packed into, e.g. 16G (default: no packing by memory).") var memory: String?
    @Option(help: "Cores a run asks for when neither its family nor its definition says.") var defaultRunCores: Double = 1
    @Option(help: "Memory a run asks for when neither its family nor its definition says.") var defaultRunMemory = "2G"
    @Option(help: "Most cores one run may ask for (default: the host's capacity).") var maxRunCores: Double?
    @Option(help: "Most memory one run may ask for (default: the host's).") var maxRunMemory: String?
    @Option(help: "Half-life of past usage under fairshare, in seconds.") var fairshareHalfLife: Double = 86_400
    @Option(help: "Fair-share weight of the waiting time.") var fairshareAgeWeight: Double = 1
    @Option(help: "Fair-share weight of the priority.") var fairsharePriorityWeight: Double = 2
    @Option(help: "Fair-share weight of the user's and project's recent usage.") var fairshareUsageWeight: Double = 4
    @Option(help: "Fair-share weight against the cores asked for.") var fairshareSizeWeight: Double = 0.5
    @Option(help: "Seconds of waiting after which the fair-share age term is full.") var fairshareAgeHorizon: Double = 3600
    @Option(help: "Most runs of a family at once, FAMILY=N (repeatable; overrides family.yml's pool).") var pool: [String] = []
    @Option(help: "Most queued runs per user; over it, start answers HTTP 429.") var maxPendingPerUser = 1_000
    @Option(help: "Most queued runs in total; over it, start answers HTTP 429.") var maxPending = 10_000

    func validate() throws {
        do {
            _ = try configuration()
        } catch {
            throw ValidationError(GSSAError.wrapping(error).message)
        }
    }

    /// The scheduling configuration these options describe; a bad value names its option.
    func configuration() throws(GSSAError) -> SchedulingConfiguration {
        func positive(_ value: Double, _ option: String) throws(GSSAError) {
            guard value.isFinite, value > 0 else { throw GSSAError.client("\(option) must be a positive number, not \(value)") }
        }
        func nonNegative(_ value: Double, _ option: String) throws(GSSAError) {
            guard value.isFinite, value >= 0 else { throw GSSAError.client("\(option) must not be negative, not \(value)") }
        }
        func size(_ text: String, _ option: String) throws(GSSAError) -> Int64 {
            guard let bytes = ByteSize.parse(text), bytes > 0 else {
                throw GSSAError.client("\(option) must be a positive size such as 512m or 4g, not '\(text.prefix(64))'")
            }
            return bytes
        }
        let weights = FairShareScheduler.Weights(
            age: fairshareAgeWeight, priority: fairsharePriorityWeight, fairness: fairshareUsageWeight, size: fairshareSizeWeight,
            ageHorizon: fairshareAgeHorizon)
        for (value, option) in [(weights.age, "--fairshare-age-weight"), (weights.priority, "--fairshare-priority-weight"),
                                (weights.fairness, "--fairshare-usage-weight"), (weights.size, "--fairshare-size-weight")] {
            try nonNegative(value, option)
        }
        try positive(fairshareAgeHorizon, "--fairshare-age-horizon")
        try positive(fairshareHalfLife, "--fairshare-half-life")
        guard let chosen = SchedulingConfiguration.scheduler(named: scheduler, weights: weights) else {
            throw GSSAError.client("--scheduler must be fifo or fairshare, not '\(scheduler.prefix(64))'")
        }
        if let cores { try positive(cores, "--cores") }
        try positive(overcommit, "--overcommit")
        try positive(defaultRunCores, "--default-run-cores")
        if let maxRunCores { try positive(maxRunCores, "--max-run-cores") }
        guard maxPendingPerUser > 0 else { throw GSSAError.client("--max-pending-per-user must be positive, not \(maxPendingPerUser)") }
        guard maxPending > 0 else { throw GSSAError.client("--max-pending must be positive, not \(maxPending)") }
        var pools: [String: Int] = [:]
        for entry in pool {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let count = Int(parts[1]), count > 0 else {
                throw GSSAError.client("--pool must be FAMILY=N with N a positive number of runs, not '\(entry.prefix(64))'")
            }
            pools[parts[0]] = count
        }
        var hostMemory: Int64?
        if let memory { hostMemory = try size(memory, "--memory") }
        var configuration = SchedulingConfiguration(
            scheduler: chosen, hostCores: cores, overcommit: overcommit, hostMemory: hostMemory,
            defaultRequest: ResourceRequest(cores: defaultRunCores, memory: try size(defaultRunMemory, "--default-run-memory")),
            halfLife: fairshareHalfLife, pools: pools, maximumPendingPerUser: maxPendingPerUser, maximumPending: maxPending)
        if maxRunCores != nil || maxRunMemory != nil {
            var runMemory = configuration.bounds.memory
            if let maxRunMemory { runMemory = try size(maxRunMemory, "--max-run-memory") }
            configuration.maximumRequest = ResourceBounds(cores: maxRunCores ?? configuration.bounds.cores, memory: runMemory)
        }
        return configuration
    }
}
