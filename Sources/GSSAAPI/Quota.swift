import Foundation

/// Limits on what one user or one project holds at once; nil fields are unlimited.
///
/// Running quotas (runs, cores, memory) make a run wait in `queued` with a reason naming the
/// quota; it never fails for them.
public struct Quota: Codable, Sendable, Hashable {
    /// Runs starting or running at once.
    public var runs: Int?
    /// Cores of the runs starting or running.
    public var cores: Double?
    /// Bytes of memory of the runs starting or running.
    public var memory: Int64?
    /// Bytes of run directories kept on the server.
    public var storedBytes: Int64?

    /// Creates a quota; nil fields are unlimited.
    public init(runs: Int? = nil, cores: Double? = nil, memory: Int64? = nil, storedBytes: Int64? = nil) {
        self.runs = runs
        self.cores = cores
        self.memory = memory
        self.storedBytes = storedBytes
    }

    private enum CodingKeys: String, CodingKey {
        case runs, cores, memory
        case storedBytes = "stored_bytes"
    }

    /// True when no field is set.
    public var isUnlimited: Bool { runs == nil && cores == nil && memory == nil && storedBytes == nil }
}

/// Who a quota applies to.
public enum QuotaScope: String, Codable, Sendable, CaseIterable, Hashable {
    /// One user's runs, whatever their project.
    case user
    /// One project's runs, whoever their owner.
    case project
}
