import Foundation
import GSSACore
import LaunchProtocol
import Yams

/// The daemon's YAML configuration.
///
/// ```yaml
/// socket: /run/gssa/dockerlaunch.sock
/// group: gssa                # group of the socket; the socket is mode 0770
/// data_root: /var/lib/gssa   # START's input and output must resolve under here
/// allowed_images: [gssa/python:bookworm]
/// max_containers: 30
/// default_limits: {memory: 2g, cpus: 1, pids: 512}
/// max_limits: {memory: 8g, cpus: 2, pids: 4096}
/// walltime: 3600             # default seconds; max_walltime caps requests
/// orphan_ttl: 86400          # keep exited, uncollected containers this long after a restart
/// author: gssa               # shared-host labels (seed 004)
/// org: gssa
/// runner: /usr/local/lib/gssa/gssa-container
/// stop_grace: 5              # seconds from SIGTERM to SIGKILL
/// max_input_bytes: 1g        # largest input directory a START may stage
/// max_output_bytes: 2g       # per-run output quota, enforced while collecting
/// max_output_entries: 100000 # files, directories and links one run's output may hold
/// form_cache_dir: /var/lib/gssa/.gssa-form-cache  # default <data_root>/.gssa-form-cache
/// form_cache_bytes: 2g       # compiled-form caches of all users together (LRU); 0 disables
/// form_cache_entry_bytes: 64m # one user's cache for one image; larger ones are not kept (a START holds it in memory)
/// executor: local            # or swarm: one replicated service per run (docs/scale-out.md)
/// swarm: {manager: unix:///var/lib/gssa-swarm/n1/docker.sock, shared_root: /srv/gssa-runs}
/// ```
public struct DaemonConfiguration: Sendable, Hashable {
    public var socket: String
    public var group: String?
    public var dataRoot: String
    public var allowedImages: [String]
    public var maxContainers: Int
    public var defaultLimits: ContainerLimits
    public var maxLimits: ContainerLimits
    /// Default walltime in seconds.
    public var walltime: Double
    public var maxWalltime: Double
    /// Seconds to keep exited, uncollected containers (and finished results) around.
    public var orphanTTL: Double
    public var author: String
    public var org: String
    /// Host path of the `gssa-container` runner binary injected into every container.
    public var runner: String
    /// Value of the `gssa.daemon` label; distinguishes daemons sharing one engine.
    public var daemonID: String
    /// Engine socket; nil means `DOCKER_HOST` or `/var/run/docker.sock`.
    public var dockerSocket: String?
    /// Longest request frame accepted.
    public var maxFrameBytes: Int
    /// Largest input directory (sum of file sizes) a START may stage.
    public var maxInputBytes: Int64
    /// Seconds between SIGTERM and SIGKILL when stopping a container (walltime, WAIT timeout, DESTROY).
    public var stopGrace: Double
    /// Per-run output quota in bytes, enforced while the output streams out of the container;
    /// a run over it ends `E_MODEL` and keeps nothing. A START may ask for less, never more.
    public var maxOutputBytes: Int64
    /// Most members (files, directories, links) one run's output may hold.
    public var maxOutputEntries: Int
    /// Most entries one input directory may hold.
    public var maxInputEntries: Int
    /// Where per-(user, image) compiled-form caches are kept (see `FormCache`); nil means
    /// `<data_root>/.gssa-form-cache`.
    public var formCacheDirectory: String?
    /// Bound on all form caches together; least recently used ones go first. 0 disables caching.
    public var formCacheBytes: Int64
    /// Bound on one form cache; a larger one is discarded after its run.
    public var formCacheEntryBytes: Int64
    /// Where runs execute: containers on the local engine, or services on a swarm.
    public var executor: Executor = .local
    /// The swarm executor's manager and shared run root; required with `executor: swarm`.
    public var swarm: SwarmSettings?

    /// The daemon's executors.
    public enum Executor: String, Sendable, Hashable, Decodable {
        case local, swarm
    }

    /// `swarm: {manager: unix:///…/docker.sock, shared_root: DIR}`.
    public struct SwarmSettings: Sendable, Hashable, Decodable {
        /// The manager's Engine API socket, `unix:///path`.
        public var manager: String
        /// The run root present at the same path on every node (NFS on a real cluster).
        public var sharedRoot: String
        public init(manager: String, sharedRoot: String) {
            self.manager = manager
            self.sharedRoot = sharedRoot
        }
        enum CodingKeys: String, CodingKey, CaseIterable {
            case manager
            case sharedRoot = "shared_root"
        }
    }

    public init(
        socket: String, group: String? = nil, dataRoot: String, allowedImages: [String], maxContainers: Int = 30,
        defaultLimits: ContainerLimits = ContainerLimits(memory: 2 << 30, cpus: 1, pids: 512),
        maxLimits: ContainerLimits = ContainerLimits(memory: 8 << 30, cpus: 2, pids: 4096),
        walltime: Double = 3600, maxWalltime: Double? = nil, orphanTTL: Double = 86400, author: String = "gssa",
        org: String = "gssa", runner: String, daemonID: String? = nil, dockerSocket: String? = nil,
        maxFrameBytes: Int = LaunchWire.defaultMaxFrameLength, stopGrace: Double = 5, maxInputBytes: Int64 = 1 << 30,
        maxOutputBytes: Int64 = 2 << 30, maxOutputEntries: Int = 100_000, maxInputEntries: Int = 100_000,
        formCacheDirectory: String? = nil, formCacheBytes: Int64 = 2 << 30, formCacheEntryBytes: Int64 = 64 << 20
    ) {
        self.formCacheDirectory = formCacheDirectory
        self.formCacheBytes = formCacheBytes
        self.formCacheEntryBytes = formCacheEntryBytes
        self.maxInputBytes = maxInputBytes
        self.maxOutputBytes = maxOutputBytes
        self.maxOutputEntries = maxOutputEntries
        self.maxInputEntries = maxInputEntries
        self.stopGrace = stopGrace
        self.socket = socket
        self.group = group
        self.dataRoot = dataRoot
        self.allowedImages = allowedImages
        self.maxContainers = maxContainers
        self.defaultLimits = defaultLimits
        self.maxLimits = maxLimits
        self.walltime = walltime
        self.maxWalltime = maxWalltime ?? max(walltime, 86400)
        self.orphanTTL = orphanTTL
        self.author = author
        self.org = org
        self.runner = runner
        self.daemonID = daemonID ?? "dockerlaunch:\(socket)"
        self.dockerSocket = dockerSocket
        self.maxFrameBytes = maxFrameBytes
    }

    private struct File: Decodable {
        var socket: String?
        var group: String?
        var data_root: String?
        var allowed_images: [String]?
        var max_containers: Int?
        var default_limits: ContainerLimits?
        var max_limits: ContainerLimits?
        var walltime: Double?
        var max_walltime: Double?
        var orphan_ttl: Double?
        var author: String?
        var org: String?
        var runner: String?
        var daemon_id: String?
        var docker_socket: String?
        var max_frame_bytes: Int?
        var stop_grace: Double?
        var max_input_bytes: String?
        var max_output_bytes: String?
        var max_output_entries: Int?
        var max_input_entries: Int?
        var form_cache_dir: String?
        var form_cache_bytes: String?
        var form_cache_entry_bytes: String?
        var executor: Executor?
        var swarm: SwarmSettings?

        /// Every key the file may hold: a key outside these is a typo, refused by name.
        enum CodingKeys: String, CodingKey, CaseIterable {
            case socket, group, data_root, allowed_images, max_containers, default_limits, max_limits, walltime
            case max_walltime, orphan_ttl, author, org, runner, daemon_id, docker_socket, max_frame_bytes, stop_grace
            case max_input_bytes, max_output_bytes, max_output_entries, max_input_entries, form_cache_dir
            case form_cache_bytes, form_cache_entry_bytes, executor, swarm
        }
    }

    /// Refuses a key the daemon does not know, at the top level or inside `default_limits`,
    /// `max_limits` and `swarm`, naming it and its line: a misspelt limit must not fall back
    /// to a default silently.
    static func checkKeys(_ yaml: String, file: String) throws {
        guard let root = try Yams.compose(yaml: yaml)?.mapping else { return }
        let nested: [String: [String]] = [
            "default_limits": ContainerLimits.keys, "max_limits": ContainerLimits.keys,
            "swarm": SwarmSettings.CodingKeys.allCases.map(\.rawValue),
        ]
        func check(_ mapping: Node.Mapping, known: [String], path: String) throws {
            for (key, value) in mapping {
                let name = key.string ?? "\(key)"
                let qualified = path.isEmpty ? name : path + "." + name
                guard known.contains(name) else {
                    let line = key.mark.map { " (line \($0.line))" } ?? ""
                    throw GSSAError.client(
                        "\(file): unknown key '\(qualified)'\(line); known here: \(known.sorted().joined(separator: ", "))",
                        attribute: qualified)
                }
                if path.isEmpty, let inner = nested[name], let mapping = value.mapping {
                    try check(mapping, known: inner, path: name)
                }
            }
        }
        try check(root, known: File.CodingKeys.allCases.map(\.rawValue), path: "")
    }

    /// Parses YAML; errors name the file and the offending key.
    public static func parse(yaml: String, file: String = "dockerlaunch.yml") throws -> DaemonConfiguration {
        // Names first (a misspelt key is the likeliest cause of any later complaint); text that
        // is not YAML at all is left to the decoder, which says where.
        do { try checkKeys(yaml, file: file) } catch let error as GSSAError { throw error } catch {}
        let raw: File
        do {
            raw = try YAMLDecoder().decode(File.self, from: yaml)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw GSSAError.client("\(file): \(key): \(context.debugDescription)", attribute: key)
        } catch {
            throw GSSAError.client("\(file): \(error)")
        }
        func required<T>(_ value: T?, _ key: String) throws -> T {
            guard let value else { throw GSSAError.client("\(file): missing required key '\(key)'", attribute: key) }
            return value
        }
        func size(_ text: String?, _ key: String) throws -> Int64? {
            guard let text else { return nil }
            guard let bytes = ByteSize.parse(text) else {
                throw GSSAError.client("\(file): \(key) '\(text)' is not a size like 1g", attribute: key)
            }
            return bytes
        }
        let defaults = DaemonConfiguration(socket: "", dataRoot: "", allowedImages: [], runner: "")
        var config = DaemonConfiguration(
            socket: try required(raw.socket, "socket"), group: raw.group,
            dataRoot: try required(raw.data_root, "data_root"),
            allowedImages: try required(raw.allowed_images, "allowed_images"),
            maxContainers: raw.max_containers ?? 30,
            defaultLimits: (raw.default_limits ?? ContainerLimits()).filled(from: defaults.defaultLimits),
            maxLimits: (raw.max_limits ?? ContainerLimits()).filled(from: defaults.maxLimits),
            walltime: raw.walltime ?? 3600, maxWalltime: raw.max_walltime, orphanTTL: raw.orphan_ttl ?? 86400,
            author: raw.author ?? "gssa", org: raw.org ?? "gssa", runner: try required(raw.runner, "runner"),
            daemonID: raw.daemon_id, dockerSocket: raw.docker_socket,
            maxFrameBytes: raw.max_frame_bytes ?? LaunchWire.defaultMaxFrameLength, stopGrace: raw.stop_grace ?? 5,
            maxInputBytes: try size(raw.max_input_bytes, "max_input_bytes") ?? (1 << 30),
            maxOutputBytes: try size(raw.max_output_bytes, "max_output_bytes") ?? (2 << 30),
            maxOutputEntries: raw.max_output_entries ?? 100_000, maxInputEntries: raw.max_input_entries ?? 100_000,
            formCacheDirectory: raw.form_cache_dir,
            formCacheBytes: try size(raw.form_cache_bytes, "form_cache_bytes") ?? (2 << 30),
            formCacheEntryBytes: try size(raw.form_cache_entry_bytes, "form_cache_entry_bytes") ?? (64 << 20))
        config.executor = raw.executor ?? .local
        config.swarm = raw.swarm
        try config.validate(file: file)
        return config
    }

    public static func load(path: String) throws -> DaemonConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GSSAError.client("cannot read daemon configuration \(path)")
        }
        return try parse(yaml: String(decoding: data, as: UTF8.self), file: path)
    }

    public func validate(file: String = "configuration") throws {
        func refuse(_ key: String, _ why: String) -> GSSAError { GSSAError.client("\(file): \(key) \(why)", attribute: key) }
        if self.maxContainers < 1 || self.maxContainers > 10_000 {
            throw refuse("max_containers", "must be in [1, 10000]")
        }
        let year = ArgumentBounds.maxSeconds
        if !self.maxWalltime.isFinite || self.maxWalltime <= 0 || self.maxWalltime > year {
            throw refuse("max_walltime", "must be a finite number of seconds in (0, \(Int(year))]")
        }
        if !self.walltime.isFinite || self.walltime <= 0 || self.maxWalltime < self.walltime {
            throw refuse("walltime", "must be positive and not above max_walltime")
        }
        if !self.stopGrace.isFinite || self.stopGrace < 0 || self.stopGrace > 3600 {
            throw refuse("stop_grace", "must be in [0, 3600] seconds")
        }
        if !self.orphanTTL.isFinite || self.orphanTTL < 0 || self.orphanTTL > 10 * year {
            throw refuse("orphan_ttl", "must be in [0, \(Int(10 * year))] seconds")
        }
        if self.maxFrameBytes < 1024 || self.maxFrameBytes > 64 << 20 {
            throw refuse("max_frame_bytes", "must be in [1024, 67108864]")
        }
        if self.maxInputBytes < 1 { throw refuse("max_input_bytes", "must be positive") }
        if self.maxOutputBytes < 1 { throw refuse("max_output_bytes", "must be positive") }
        if self.maxOutputEntries < 1 { throw refuse("max_output_entries", "must be positive") }
        if self.maxInputEntries < 1 { throw refuse("max_input_entries", "must be positive") }
        if self.formCacheBytes < 0 { throw refuse("form_cache_bytes", "must not be negative (0 disables the form cache)") }
        if self.formCacheEntryBytes < 1 { throw refuse("form_cache_entry_bytes", "must be positive") }
        if self.executor == .swarm {
            guard let swarm = self.swarm else { throw refuse("swarm", "is required with executor: swarm ({manager, shared_root})") }
            if !swarm.manager.hasPrefix("unix:///") { throw refuse("swarm.manager", "must be a unix:///path socket") }
            if !swarm.sharedRoot.hasPrefix("/") { throw refuse("swarm.shared_root", "must be an absolute path") }
        }
        if let directory = self.formCacheDirectory, !directory.hasPrefix("/") {
            throw refuse("form_cache_dir", "must be an absolute path")
        }
        for (key, value) in [("default_limits", self.defaultLimits), ("max_limits", self.maxLimits)] {
            do {
                _ = try ArgumentBounds.limits(value, defaults: ContainerLimits(), maxima: ContainerLimits())
            } catch let error as GSSAError {
                throw GSSAError.client("\(file): \(key): \(error.reason)", attribute: key)
            }
        }
        do {
            _ = try ArgumentBounds.limits(self.defaultLimits, defaults: ContainerLimits(), maxima: self.maxLimits)
        } catch let error as GSSAError {
            throw GSSAError.client("\(file): default_limits above max_limits: \(error.reason)", attribute: "default_limits")
        }
    }
}
