import Foundation
import GSSA
import LaunchProtocol

/// What one run asks of the host: cores, memory and a wall-clock limit.
///
/// Fixed at finalize (the family's default, overridden by the definition's `SETTING_CORES`,
/// `SETTING_MEMORY` and `SETTING_WALLTIME` parameters), stored with the run, packed against the
/// host's capacity by the scheduler and handed to the daemon as the container's limits.
public struct ResourceRequest: Codable, Sendable, Hashable {
    /// CPUs (1.5 = one and a half).
    public var cores: Double
    /// Bytes of memory.
    public var memory: Int64
    /// Seconds before the daemon stops the run; nil: the server's (or the daemon's) default.
    public var walltime: Double?

    public init(cores: Double, memory: Int64, walltime: Double? = nil) {
        self.cores = cores
        self.memory = memory
        self.walltime = walltime
    }

    /// The definition parameters that override a family's default.
    public static let coresParameter = "SETTING_CORES"
    public static let memoryParameter = "SETTING_MEMORY"
    public static let walltimeParameter = "SETTING_WALLTIME"

    /// `defaults` overridden by the definition's `SETTING_*` parameters, checked against `bounds`.
    ///
    /// - Throws: `E_CLIENT` naming the parameter for a value that is not a positive number, and
    ///   naming the limit (and how to raise it) for one above the server's bounds.
    public static func resolve(
        _ parameters: ParameterSet, defaults: ResourceRequest, bounds: ResourceBounds
    ) throws(GSSAError) -> ResourceRequest {
        var request = defaults
        func element(_ name: String) -> String { "<parameter name=\"\(name)\">" }
        if let parameter = parameters[coresParameter], let raw = parameter.rawValue {
            guard let cores = Double(raw.trimmingCharacters(in: .whitespaces)), cores.isFinite, cores > 0 else {
                throw GSSAError.client("\(coresParameter) must be a positive number of cores, not '\(raw.prefix(64))'",
                                       line: parameter.line, element: element(coresParameter), attribute: "value")
            }
            request.cores = cores
        }
        if let parameter = parameters[memoryParameter], let raw = parameter.rawValue {
            guard let bytes = ByteSize.parse(raw), bytes > 0 else {
                throw GSSAError.client("\(memoryParameter) must be a size like 512m or 4g, not '\(raw.prefix(64))'",
                                       line: parameter.line, element: element(memoryParameter), attribute: "value")
            }
            request.memory = bytes
        }
        if let parameter = parameters[walltimeParameter], let raw = parameter.rawValue {
            guard let seconds = Double(raw.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds > 0 else {
                throw GSSAError.client("\(walltimeParameter) must be a positive number of seconds, not '\(raw.prefix(64))'",
                                       line: parameter.line, element: element(walltimeParameter), attribute: "value")
            }
            request.walltime = seconds
        }
        try bounds.check(request)
        return request
    }
}

/// The most one run may ask for, and the whole host: a request above either is refused at
/// finalize rather than left queued forever.
public struct ResourceBounds: Sendable, Hashable {
    /// Most cores one run may ask for (`gssa server --max-run-cores`).
    public var cores: Double
    /// Most memory one run may ask for (`gssa server --max-run-memory`).
    public var memory: Int64
    /// Longest walltime one run may ask for, in seconds; nil: no bound here (the daemon's applies).
    public var walltime: Double?

    public init(cores: Double, memory: Int64, walltime: Double? = nil) {
        self.cores = cores
        self.memory = memory
        self.walltime = walltime
    }

    func check(_ request: ResourceRequest) throws(GSSAError) {
        if request.cores > cores {
            throw GSSAError.client(
                "\(ResourceRequest.coresParameter) asks for \(Self.number(request.cores)) cores, above the server's limit of \(Self.number(cores)) per run (raise it with `gssa server --max-run-cores`, at most the host's capacity)",
                element: "<parameter name=\"\(ResourceRequest.coresParameter)\">", attribute: "value")
        }
        if request.memory > memory {
            throw GSSAError.client(
                "\(ResourceRequest.memoryParameter) asks for \(ByteSize.describe(request.memory)), above the server's limit of \(ByteSize.describe(memory)) per run (raise it with `gssa server --max-run-memory`, at most the host's capacity)",
                element: "<parameter name=\"\(ResourceRequest.memoryParameter)\">", attribute: "value")
        }
        if let walltime, let asked = request.walltime, asked > walltime {
            throw GSSAError.client(
                "\(ResourceRequest.walltimeParameter) asks for \(Self.number(asked)) s, above the server's limit of \(Self.number(walltime)) s (raise it with `gssa server --walltime`)",
                element: "<parameter name=\"\(ResourceRequest.walltimeParameter)\">", attribute: "value")
        }
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
