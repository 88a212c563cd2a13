import Foundation
import GSSATestSupport
import Testing

@testable import ContainerModule

/// The `gssa-container` executable itself (the debug build next to the test bundle), on the host.
@Suite struct RunnerBinaryTests {
    static let binary: String? = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("gssa-container"),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug/gssa-container"),
        ]
        return candidates.map(\.path).first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    @Test func usageErrorsExitWithClientCode() async throws {
        let binary = try #require(Self.binary, "build the gssa-container product first (swift build --build-tests)")
        let result = try await sh([binary, "run", "--bogus"])
        #expect(result.status == 2)
        #expect(result.err.hasPrefix("gssa-container: E_CLIENT: unknown option '--bogus'"))
        #expect(try await sh([binary, "--help"]).out.contains("usage: gssa-container run"))
    }

    @Test func sigtermIsForwardedAndRecordedAsCancelled() async throws {
        let binary = try #require(Self.binary, "build the gssa-container product first (swift build --build-tests)")
        let root = try SharedRoot()
        try TarBuilder.write([.file("start.py", "import time\nprint('ready', flush=True)\ntime.sleep(60)\n")],
                             to: root.path + "/input/start.tar.gz")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run"]
        process.environment = ProcessInfo.processInfo.environment.merging(["GSSA_SHARED_ROOT": root.path]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait (bounded, generously: python starts slowly on a loaded machine) until the model is
        // running, then ask the runner to stop.
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline, !((try? root.read("output/logs/job.out"))?.contains("ready") ?? false) {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try root.read("output/logs/job.out") == "ready\n")
        kill(process.processIdentifier, SIGTERM)
        #expect(await process.exit() == 128 + SIGTERM)
        let status = try root.read("output.final/logs/exit_status")
        #expect(status == "6\nCancelled: the run received signal 15 (model exit code 143)")
    }
}
