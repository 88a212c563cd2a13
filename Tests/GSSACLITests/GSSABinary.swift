import Foundation
import GSSATestSupport
import Testing

/// Runs the built `gssa` executable, as a user would.
struct GSSABinary {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `gssa` next to the test bundle (same build), or in `.build/debug`.
    static var executable: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("gssa")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return repositoryRoot.appendingPathComponent(".build/debug/gssa")
    }

    static func run(_ arguments: [String], in directory: URL = repositoryRoot, environment: [String: String] = [:]) async throws -> Result {
        try await runTool(executable.path, arguments, in: directory, environment: environment)
    }

    /// Runs any program the same way: stdout and stderr through files, waited for off the
    /// cooperative pool (``CapturedProcess``).
    static func runTool(_ path: String, _ arguments: [String], in directory: URL = repositoryRoot, environment: [String: String] = [:]) async throws -> Result {
        let captured = try await CapturedProcess.run(
            URL(fileURLWithPath: path), arguments, environment: environment, directory: directory)
        return Result(status: captured.status, stdout: captured.stdoutText, stderr: captured.stderrText)
    }

    static func example(_ path: String) -> String { repositoryRoot.appendingPathComponent("examples/\(path)").path }
}

func scratchDirectory() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-cli-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
