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

    @Test("gssa launch: a typo'd --sweep name, an empty range or an empty --after GUID is refused before the server is contacted")
    func launchSweepOptions() async throws {
        let definition = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-sweep-\(UUID().uuidString.prefix(8)).xml")
        try Data("""
            <?xml version="1.0"?>
            <simulationDefinition><parameters><parameter name="SETTING_A" value="1" type="integer"/></parameters>
            <numericalModel><needles/><regions/><definition family="python-demo">pass</definition></numericalModel>
            </simulationDefinition>
            """.utf8).write(to: definition)
        defer { try? FileManager.default.removeItem(at: definition) }
        let base = ["launch", definition.path, "--server", "http://127.0.0.1:9"]
        let cases: [([String], String)] = [
            (["--sweep", "SETTING_AA=1,2"], "--sweep SETTING_AA: the definition has no global parameter 'SETTING_AA'"),
            (["--sweep", "SETTING_A=3:1:1"], "--sweep SETTING_A: range 3:1:1 is empty"),
            (["--sweep", "SETTING_A=1:2:0"], "needs finite numbers and a non-zero step"),
            (["--sweep", "SETTING_A=1,2", "--sweep", "SETTING_A=3"], "--sweep SETTING_A is given twice"),
            (["--after", "A,,B"], "--after: empty GUID"),
        ]
        for (arguments, message) in cases {
            let result = try await GSSABinary.run(base + arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("E_CLIENT") && result.stderr.contains(message), "\(arguments): \(result.stderr)")
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
