import Foundation
import Testing

/// Bad arguments are usage errors naming the option and what it accepts, found by
/// argument-parser's `validate()` and `ExpressibleByArgument` before anything starts (`gssa`
/// exits 2, E_CLIENT; `gssa-dockerlaunch` keeps argument-parser's 64).
@Suite("Argument validation")
struct ArgumentValidationTests {
    static let serverBase = ["server", "--data", "/nonexistent/gssa-data", "--launcher", "/nonexistent/d.sock"]

    @Test("gssa server: a malformed --listen, size or --walltime is refused before the server starts")
    func serverOptions() async throws {
        let cases: [([String], String)] = [
            (["--listen", "nonsense"], "--listen must be HOST:PORT, not 'nonsense'"),
            (["--max-upload-bytes", "12Q"], "--max-upload-bytes must be a positive size"),
            (["--max-archive-entries", "0"], "--max-archive-entries must be positive"),
            (["--walltime=-5"], "--walltime must be a positive number of seconds"),
            (["--mesh-threads", "0"], "--mesh-threads must be at least 1"),
            (["--session-lifetime", "0"], "--session-lifetime must be 1 to 2592000 seconds"),
        ]
        for (arguments, message) in cases {
            let result = try await GSSABinary.run(Self.serverBase + arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "/nonexistent/gssa-data"))
        }
    }

    @Test("gssa container run: a malformed --memory or --walltime is refused before the daemon is contacted")
    func containerRunOptions() async throws {
        let base = ["container", "run", "/nonexistent/input", "--image", "gssa/python:bookworm", "--out", "/nonexistent/out",
                    "--socket", "/nonexistent/d.sock"]
        let cases: [([String], String)] = [
            (["--memory", "lots"], "--memory 'lots' is not a size like 512m or 2g"),
            (["--walltime=0"], "--walltime must be a positive number of seconds, not 0.0"),
        ]
        for (arguments, message) in cases {
            let result = try await GSSABinary.run(base + arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    @Test("gssa-dockerlaunch: an unknown --log-level is an error listing the accepted levels, not a silent info")
    func daemonLogLevel() async throws {
        let daemon = GSSABinary.executable.deletingLastPathComponent().appendingPathComponent("gssa-dockerlaunch")
        try #require(FileManager.default.isExecutableFile(atPath: daemon.path), "gssa-dockerlaunch is not built next to gssa")
        let result = try await GSSABinary.runTool(daemon.path, ["--config", "/nonexistent/dockerlaunch.yml", "--log-level", "loud"])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("loud"), "\(result.stderr)")
        for level in ["trace", "debug", "info", "notice", "warning", "error", "critical"] {
            #expect(result.stderr.contains(level), "\(result.stderr)")
        }
    }
}
