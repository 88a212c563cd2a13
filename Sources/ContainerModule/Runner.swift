import CContainerSupport
import GSSAWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The in-container runner (`gssa-container run`): prepares the run directory, runs the model,
/// relays its logs and progress, records how it ended, and publishes `/shared/output`.
///
/// The steps, as agreed with the launch daemon (docs/container-contract.md):
/// 1. extract `/shared/input/<archive>` into `/shared/output/run` (whole archive refused on
///    any escape → `2\n…` E_CLIENT);
/// 2. copy `/shared/input/*` into `run/input/`;
/// 3. run `<interpreter…> <target>` with cwd `run/`, teeing stdout/stderr into
///    `logs/job.out` / `logs/job.err` and onto the runner's own stdout/stderr;
/// 4. relay status-socket lines as `##gssa-status## <pct>|<message>` on stdout;
/// 5. write `logs/exit_status` (`0\nOK` or `<rc>\nError in script: …`);
/// 6. rename `/shared/output` to `/shared/output.final`.
///
/// The runner's exit code is the model's (128 + signal when it was killed), or the failure's
/// class when the model never ran.
public struct Runner: Sendable {
    public var options: RunnerOptions
    public var layout: SharedLayout
    /// The environment the model inherits (plus GSSA_STATUS_SOCKET, GSSA_SHARED_ROOT and
    /// PYTHONUNBUFFERED).
    public var environment: [String: String]
    /// The container's memory cgroup, read before and after the model to see an OOM kill.
    var memory = MemoryCgroup()
    /// Where live output goes: the runner's stdout and stderr in production.
    public var liveStdout: Int32 = 1
    public var liveStderr: Int32 = 2

    public init(options: RunnerOptions, layout: SharedLayout, environment: [String: String]) {
        self.options = options
        self.layout = layout
        self.environment = environment
    }

    /// Runs everything and returns the exit code.
    public func run() -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        var exitCode: Int32
        var status: ExitStatus
        do throws(RunnerFailure) {
            try FileSystem.createDirectories(layout.logs)
            (status, exitCode) = try runModel()
        } catch {
            note("\(error.code.name): \(error.message)")
            status = ExitStatus.forFailure(error)
            exitCode = error.exitCode
        }
        do throws(RunnerFailure) {
            try FileSystem.createDirectories(layout.logs)
            try FileSystem.writeFile(layout.logs + "/exit_status.tmp", status.fileContents)
            guard rename(layout.logs + "/exit_status.tmp", layout.logs + "/exit_status") == 0 else {
                throw RunnerFailure.server("cannot write exit_status: \(FileSystem.errnoText())")
            }
            try publish()
        } catch {
            note("\(error.code.name): \(error.message)")
            if exitCode == 0 { exitCode = error.exitCode }
        }
        return exitCode
    }

    private func runModel() throws(RunnerFailure) -> (ExitStatus, Int32) {
        let signals = [SIGCHLD, SIGTERM, SIGINT, SIGHUP]
        let signalFD = signals.withUnsafeBufferPointer { gssa_signalfd_open($0.baseAddress, Int32($0.count)) }
        guard signalFD >= 0 else { throw .server("cannot set up signal handling: \(FileSystem.errnoText())") }
        defer {
            close(signalFD)
            signals.withUnsafeBufferPointer { gssa_signals_unblock($0.baseAddress, Int32($0.count)) }
        }

        let listener = gssa_unix_listen(layout.statusSocket, 16, 0o660)
        if listener == -2 { throw .server("status socket path \(layout.statusSocket) is too long") }
        guard listener >= 0 else {
            throw .server("cannot listen on status socket \(layout.statusSocket): \(FileSystem.errnoText())")
        }
        defer {
            close(listener)
            unlink(layout.statusSocket)
        }

        try prepareRunDirectory()

        let jobOut = try openLog("job.out")
        defer { close(jobOut) }
        let jobErr = try openLog("job.err")
        defer { close(jobErr) }

        var childEnvironment = environment
        childEnvironment["GSSA_STATUS_SOCKET"] = layout.statusSocket
        childEnvironment["GSSA_SHARED_ROOT"] = layout.root
        if childEnvironment["PYTHONUNBUFFERED"] == nil { childEnvironment["PYTHONUNBUFFERED"] = "1" }

        let oomKillsBefore = memory.oomKills()
        let supervisor = ChildSupervisor(liveStdout: liveStdout, liveStderr: liveStderr, jobOut: jobOut,
                                         jobErr: jobErr, listener: listener, signals: signalFD)
        let outcome = try supervisor.run(arguments: options.childArguments, environment: childEnvironment,
                                         directory: layout.run)

        if let cancelled = outcome.cancelSignal {
            return (ExitStatus(.cancelled,
                               "Cancelled: the run received signal \(cancelled) (model exit code \(outcome.exitCode))"),
                    outcome.exitCode)
        }
        if outcome.exitCode != 0, let before = oomKillsBefore, let after = memory.oomKills(), after > before {
            note("the kernel's OOM killer stopped the model (cgroup oom_kill \(before) → \(after))")
            return (ExitStatus.outOfMemoryByRunner, outcome.exitCode)
        }
        let errorMessage = FileSystem.readFile(layout.run + "/error_message", limit: 64 * 1024)
            .map { String(decoding: $0, as: UTF8.self) }
        let stderr = FileSystem.readFile(layout.logs + "/job.err", limit: 64 * 1024) ?? []
        return (ExitStatus.forChild(exitCode: outcome.exitCode, errorMessage: errorMessage, stderr: stderr,
                                    signal: outcome.signal),
                outcome.exitCode)
    }

    /// A fresh `run/` with the start archive extracted and the inputs copied to `run/input`.
    func prepareRunDirectory() throws(RunnerFailure) {
        guard FileSystem.isDirectory(layout.input) else {
            throw .client("input directory \(layout.input) is missing")
        }
        try FileSystem.removeTree(layout.run)
        try FileSystem.createDirectories(layout.run)
        try StartArchiveExtractor(archivePath: layout.input + "/" + options.archive).extract(into: layout.run)
        let target = layout.run + "/input"
        if FileSystem.exists(target) && !FileSystem.isDirectory(target) {
            throw .client("start archive rejected: 'input' is reserved for the inputs and must be a directory")
        }
        try FileSystem.copyTree(layout.input, to: target)
        // Models write their results under `output/` (relative to their cwd, `run/`): it exists
        // before they start, so `open("output/summary.json", "w")` works without a makedirs.
        let results = layout.run + "/output"
        if FileSystem.exists(results) && !FileSystem.isDirectory(results) {
            throw .client("start archive rejected: 'output' is reserved for the results and must be a directory")
        }
        try FileSystem.createDirectories(results)
        if !FileSystem.exists(layout.run + "/" + options.target) {
            throw .client("target \(options.target) is not in the start archive")
        }
    }

    private func openLog(_ name: String) throws(RunnerFailure) -> Int32 {
        let path = layout.logs + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw .server("cannot open \(path): \(FileSystem.errnoText())") }
        return fd
    }

    /// `output` → `output.final` in one rename, so the daemon never sees a half-written result.
    func publish() throws(RunnerFailure) {
        try FileSystem.removeTree(layout.published)
        guard rename(layout.output, layout.published) == 0 else {
            throw .server("cannot publish \(layout.output) as \(layout.published): \(FileSystem.errnoText())")
        }
    }

    private func note(_ text: String) {
        FileSystem.writeAll(liveStderr, "gssa-container: \(text)\n")
    }
}
