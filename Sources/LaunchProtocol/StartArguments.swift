/// `START` arguments.
///
/// `input` and `output` are host directories; both must resolve (symlinks followed) to a
/// place under the daemon's `data_root`. The daemon never mounts them: it copies `input`
/// into the container and the container's output back into `output`, both with the caller's
/// own file rights: `input` must be readable by the caller, and `output` is created for the
/// caller or must be a directory the caller owns.
public struct StartArguments: Codable, Sendable, Hashable {
    /// Caller-chosen run identifier; the container is labelled with it.
    public var guid: String
    /// Image reference; must be on the daemon's whitelist.
    public var image: String
    /// Host directory whose contents are copied into the container's input directory.
    public var input: String
    /// Host directory that receives the container's output when the run ends.
    public var output: String
    /// Requested limits; unset fields take the daemon's defaults, and none may exceed its maxima.
    public var limits: ContainerLimits?
    /// Wall-clock limit in seconds; capped by the daemon's maximum.
    public var walltime: Double?
    /// Passed to the in-container runner: start archive name inside the input directory.
    public var archive: String?
    /// Passed to the runner: script or executable to run, relative to the run directory.
    public var target: String?
    /// Passed to the runner: command prefix, e.g. `python3`.
    public var interpreter: String?
    /// Relay the container's non-status output lines as `log` events.
    public var logs: Bool?
    /// The person the run is for (the server's user), recorded as the container's `author` label;
    /// the daemon's configured author when absent.
    public var author: String?
    /// A lower output quota for this run than the daemon's `max_output_bytes` (never a higher one).
    public var maxOutputBytes: Int64?
    /// The project the run is charged to, recorded as the container's `project` label; `default` when absent.
    public var project: String?

    /// Creates start arguments; unset options take the daemon's defaults.
    public init(
        guid: String, image: String, input: String, output: String, limits: ContainerLimits? = nil,
        walltime: Double? = nil, archive: String? = nil, target: String? = nil,
        interpreter: String? = nil, logs: Bool? = nil, author: String? = nil, maxOutputBytes: Int64? = nil,
        project: String? = nil
    ) {
        self.project = project
        self.guid = guid
        self.image = image
        self.input = input
        self.output = output
        self.limits = limits
        self.walltime = walltime
        self.archive = archive
        self.target = target
        self.interpreter = interpreter
        self.logs = logs
        self.author = author
        self.maxOutputBytes = maxOutputBytes
    }

    private enum CodingKeys: String, CodingKey {
        case guid, image, input, output, limits, walltime, archive, target, interpreter, logs, author, project
        case maxOutputBytes = "max_output_bytes"
    }
}

/// Resource limits of one container. Memory in bytes; `cpus` in CPUs (1.5 = one and a half).
public struct ContainerLimits: Codable, Sendable, Hashable {
    /// Memory limit in bytes (a size string such as `512m` is accepted when decoding).
    public var memory: Int64?
    /// CPU quota in CPUs (1.5 = one and a half).
    public var cpus: Double?
    /// Maximum number of processes in the container.
    public var pids: Int64?

    /// Creates limits; nil fields are filled from defaults with ``filled(from:)``.
    public init(memory: Int64? = nil, cpus: Double? = nil, pids: Int64? = nil) {
        self.memory = memory
        self.cpus = cpus
        self.pids = pids
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case memory, cpus, pids }

    /// The keys of a limits object (`memory`, `cpus`, `pids`), for configuration files that check
    /// their keys.
    public static var keys: [String] { CodingKeys.allCases.map(\.rawValue) }

    /// Memory may be given as bytes or as a size string (`512m`, `2g`), as people write it in YAML.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let bytes = try? container.decodeIfPresent(Int64.self, forKey: .memory) {
            self.memory = bytes
        } else if let text = try container.decodeIfPresent(String.self, forKey: .memory) {
            guard let bytes = ByteSize.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .memory, in: container,
                    debugDescription: "memory '\(text)' is not a size like 512m or 2g")
            }
            self.memory = bytes
        } else {
            self.memory = nil
        }
        self.cpus = try container.decodeIfPresent(Double.self, forKey: .cpus)
        self.pids = try container.decodeIfPresent(Int64.self, forKey: .pids)
    }

    /// Fields of `self` where set, else those of `defaults`.
    public func filled(from defaults: ContainerLimits) -> ContainerLimits {
        ContainerLimits(
            memory: self.memory ?? defaults.memory, cpus: self.cpus ?? defaults.cpus,
            pids: self.pids ?? defaults.pids)
    }
}

/// Parses sizes such as `1024`, `64k`, `512m`, `2g` (binary units, case-insensitive, optional `b`).
public enum ByteSize {
    /// The size in bytes, or nil when the text is not a non-negative number with an optional `k`/`m`/`g`/`t` unit, or overflows.
    public static func parse(_ text: String) -> Int64? {
        var s = text.trimmingCharacters(in: .whitespaces).lowercased()
        if s.hasSuffix("ib") { s.removeLast(2) } else if s.hasSuffix("b") { s.removeLast() }
        let multipliers: [Character: Int64] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40]
        var multiplier: Int64 = 1
        if let last = s.last, let m = multipliers[last] {
            multiplier = m
            s.removeLast()
        }
        guard let value = Double(s), value >= 0, value.isFinite else { return nil }
        let bytes = value * Double(multiplier)
        guard bytes < Double(Int64.max) else { return nil }
        return Int64(bytes)
    }

    /// A size for people: `512 MiB`, `2 GiB`, `1.5 GiB`, `300 bytes`.
    public static func describe(_ bytes: Int64) -> String {
        let units: [(String, Int64)] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        for (name, size) in units where bytes >= size {
            let value = Double(bytes) / Double(size)
            let rounded = (value * 10).rounded() / 10
            return rounded == rounded.rounded() ? "\(Int64(rounded)) \(name)" : "\(rounded) \(name)"
        }
        return "\(bytes) bytes"
    }
}

import Foundation
