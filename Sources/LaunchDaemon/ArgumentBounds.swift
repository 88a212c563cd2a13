import GSSACore
import LaunchProtocol

/// The bounds every number in a request (and in the configuration) must respect.
///
/// Frames come from any member of the socket group, so each number is checked before it is
/// used for anything (a sleep, a date, an Engine API field): non-finite, negative and absurd
/// values are refused with an `E_CLIENT` error naming the field and the bound, never trapped on.
enum ArgumentBounds {
    /// The longest span of seconds accepted anywhere (timeouts, walltimes): one year.
    static let maxSeconds: Double = 31_536_000
    /// Docker refuses `NanoCpus` below 0.01 CPU (and reads 0 as unlimited).
    static let minCPUs = 0.01
    static let maxCPUs = 4096.0
    static let minMemory: Int64 = 4 << 20
    static let maxMemory: Int64 = 1 << 50
    static let minPids: Int64 = 8
    static let maxPids: Int64 = 4_194_304
    /// Longest runner argument (`archive`, `target`, `interpreter`) in bytes.
    static let maxArgumentBytes = 4096

    /// A span of seconds: finite, in `[0 or above 0, upper]`.
    static func seconds(_ value: Double, field: String, command: String, upper: Double, allowZero: Bool) throws -> Double {
        let lower = allowZero ? "[0" : "(0"
        guard value.isFinite, allowZero ? value >= 0 : value > 0, value <= upper else {
            throw GSSAError.client(
                "\(command): \(field) \(value) s is out of range: it must be a finite number of seconds in \(lower), \(Self.format(upper))]",
                attribute: field)
        }
        return value
    }

    /// Limits filled from the defaults, each within its hard bounds and the daemon's maxima.
    static func limits(_ requested: ContainerLimits?, defaults: ContainerLimits, maxima: ContainerLimits) throws
        -> ContainerLimits
    {
        let limits = (requested ?? ContainerLimits()).filled(from: defaults)
        if let memory = limits.memory {
            let cap = min(maxima.memory ?? Self.maxMemory, Self.maxMemory)
            guard memory >= Self.minMemory, memory <= cap else {
                throw GSSAError.client(
                    "START: limits.memory \(memory) bytes is out of range [\(Self.minMemory) (4 MiB), \(cap)] (max_limits.memory)",
                    attribute: "limits.memory")
            }
        }
        if let cpus = limits.cpus {
            let cap = min(maxima.cpus ?? Self.maxCPUs, Self.maxCPUs)
            guard cpus.isFinite, cpus >= Self.minCPUs, cpus <= cap else {
                throw GSSAError.client(
                    "START: limits.cpus \(cpus) is out of range [\(Self.minCPUs), \(Self.format(cap))] (Docker's minimum is 0.01 CPU; max_limits.cpus)",
                    attribute: "limits.cpus")
            }
        }
        if let pids = limits.pids {
            let cap = min(maxima.pids ?? Self.maxPids, Self.maxPids)
            guard pids >= Self.minPids, pids <= cap else {
                throw GSSAError.client(
                    "START: limits.pids \(pids) is out of range [\(Self.minPids), \(cap)] (max_limits.pids)",
                    attribute: "limits.pids")
            }
        }
        return limits
    }

    /// A runner argument: short, without NUL.
    static func argument(_ value: String?, field: String) throws {
        guard let value else { return }
        guard value.utf8.count <= Self.maxArgumentBytes, !value.contains("\0") else {
            throw GSSAError.client(
                "START: \(field) must be at most \(Self.maxArgumentBytes) bytes without NUL characters", attribute: field)
        }
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
