import Foundation

/// What a family's runs ask for by default (`family.yml` `resources:`); a definition's
/// `SETTING_CORES`, `SETTING_MEMORY` and `SETTING_WALLTIME` override it, and the server's
/// defaults fill what neither says.
public struct FamilyResources: Sendable, Hashable, Decodable {
    /// CPUs per run.
    public var cores: Double?
    /// Memory per run as written, e.g. `4g` (binary units).
    public var memory: String?
    /// Seconds before a run is stopped.
    public var walltime: Double?

    /// Creates defaults; nil fields leave the server's.
    public init(cores: Double? = nil, memory: String? = nil, walltime: Double? = nil) {
        self.cores = cores
        self.memory = memory
        self.walltime = walltime
    }

    /// The problem with these values, if any: a non-positive number or a size that is not `N[k|m|g|t]`.
    public var problem: String? {
        if let cores, !(cores.isFinite && cores > 0) { return "resources.cores must be a positive number, not \(cores)" }
        if let walltime, !(walltime.isFinite && walltime > 0) { return "resources.walltime must be a positive number of seconds, not \(walltime)" }
        if let memory {
            var digits = memory.lowercased()
            if digits.hasSuffix("ib") { digits.removeLast(2) } else if digits.hasSuffix("b") { digits.removeLast() }
            if let last = digits.last, "kmgt".contains(last) { digits.removeLast() }
            guard let value = Double(digits), value > 0, value.isFinite else {
                return "resources.memory must be a size such as 512m or 4g, not '\(memory.prefix(64))'"
            }
        }
        return nil
    }
}

/// `family.yml` `pool: {max_running: N}`: at most N runs of the family at once, so that one
/// family cannot take every slot of a shared host.
public struct FamilyPool: Sendable, Hashable, Decodable {
    /// Most runs of the family starting or running at once.
    public var maxRunning: Int

    /// Creates a pool.
    public init(maxRunning: Int) { self.maxRunning = maxRunning }

    private enum CodingKeys: String, CodingKey { case maxRunning = "max_running" }
}
