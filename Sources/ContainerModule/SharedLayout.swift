/// Where everything lives inside the container (reference §4.1), relative to one shared root.
///
/// The root is `/shared` in production; `GSSA_SHARED_ROOT` moves it so the runner can be tested
/// on the host against a temporary directory.
public struct SharedLayout: Sendable, Equatable {
    /// `/shared`.
    public var root: String
    /// The status socket models write `pct|message` lines to.
    public var statusSocket: String

    public init(root: String, statusSocket: String? = nil) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
        self.statusSocket = statusSocket ?? root + "/update.sock"
    }

    /// Reads `GSSA_SHARED_ROOT` (default `/shared`) and `GSSA_STATUS_SOCKET`
    /// (default `<root>/update.sock`).
    public init(environment: [String: String]) {
        let root = environment["GSSA_SHARED_ROOT"].flatMap { $0.isEmpty ? nil : $0 } ?? "/shared"
        self.init(root: root, statusSocket: environment["GSSA_STATUS_SOCKET"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// What the daemon puts in: `/shared/input`.
    public var input: String { root + "/input" }
    /// What the runner produces: `/shared/output`.
    public var output: String { root + "/output" }
    /// The model's working directory: `/shared/output/run`.
    public var run: String { output + "/run" }
    /// `/shared/output/logs` (job.out, job.err, exit_status).
    public var logs: String { output + "/logs" }
    /// The atomically published output: `/shared/output.final`.
    public var published: String { root + "/output.final" }
}
