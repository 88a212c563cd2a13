import Foundation
import GSSATestSupport
import GSSAWire
import Testing

@testable import ContainerModule

/// The runner and gosmart against the real Docker engine and the real images
/// (`gssa/python:bookworm`, and `gssa/fenics:bookworm` when built). Without an engine these
/// tests are skipped locally and FAIL under CI=true.
///
/// The production path (archive PUT/GET through the launch daemon) belongs to the daemon's
/// tests; here the same container layout is set up with `docker cp`, which uses the same
/// Engine archive API.
@Suite(.serialized, .requiresImages("gssa/python:bookworm")) struct RealEngineTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let engineAnswers: Bool = (try? shBlocking(["docker", "info", "--format", "{{.ServerVersion}}"]).status) == 0

    /// The fully static runner, built once per test process by scripts/build-runner.
    static let runner: Result<String, any Error> = Result {
        let result = try shBlocking([repository.appendingPathComponent("scripts/build-runner").path])
        guard result.status == 0 else { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: result.err]) }
        return result.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Builds the python image on demand (cheap when it exists: content-hash tag lookup).
    static let pythonImage: Bool = {
        guard engineAnswers else { return false }
        return (try? shBlocking([repository.appendingPathComponent("images/build.sh").path, "python"]).status) == 0
    }()

    struct ContainerRun {
        var exitCode: Int32
        var logs: String
        var output: URL
    }

    /// Creates a container like the daemon does (no network, user gssa, init), copies the
    /// runner and the input directory in, runs it, copies `/shared/output.final` out.
    func runInContainer(image: String, input: URL, scratch: URL) async throws -> ContainerRun {
        let runner = try Self.runner.get()
        let created = try await sh(["docker", "create", "--network", "none", "--user", "1000:1000", "--init",
                              "--label", "gssa.test=container-module", image, "/gssa/bin/gssa-container", "run"])
        try #require(created.status == 0, "docker create failed: \(created.err)")
        let id = created.out.trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? shBlocking(["docker", "rm", "-f", id]) }
        try #require(try await sh(["docker", "cp", runner, "\(id):/gssa/bin/gssa-container"]).status == 0)
        try #require(try await sh(["docker", "cp", input.path, "\(id):/shared/input"]).status == 0)
        let started = try await sh(["docker", "start", "-a", id])
        let code = try await sh(["docker", "inspect", "--format", "{{.State.ExitCode}}", id])
        let output = scratch.appendingPathComponent("output.final")
        let copied = try await sh(["docker", "cp", "\(id):/shared/output.final", output.path])
        try #require(copied.status == 0, "no /shared/output.final: \(copied.err)")
        return ContainerRun(exitCode: Int32(code.out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1,
                            logs: started.out, output: output)
    }

    func makeInput(_ root: SharedRoot, script: String, extra: [TarBuilder.Entry] = []) throws -> URL {
        try root.write("input/parameters.yml", "SCALE: [float, '0.5']\nSTEPS: [integer, '3']\nTIP: [array(float), '[1.0, 2.0, 3.0]']\n")
        try root.write("input/needle_parameters.yml", "class: boundary\nindex: '1'\ninput: library:rfa\nparameters: {POWER: [float, '200']}\n")
        try root.write("input/regions.yml", "organ-1: {format: zone, groups: [organs], input: organ-1.stl, id: 3, meshed_as: zone}\n")
        try TarBuilder.write([.file("start.py", script)] + extra, to: root.path + "/input/start.tar.gz")
        return root.url.appendingPathComponent("input")
    }

    @Test func gosmartModelRunsReportsStatusAndWritesOutput() async throws {
        try #require(Self.engineAnswers && Self.pythonImage, "a Docker engine with gssa/python:bookworm")
        let root = try SharedRoot()
        let input = try makeInput(root, script: """
            import gosmart
            gosmart.setup()
            from gosmart.parameters import P, NP, R, update
            assert gosmart._declared == {"SCALE", "STEPS", "TIP"}
            for step in range(P.STEPS):
                update.status("step %d" % (step + 1), 100.0 * (step + 1) / P.STEPS)
            with open("result.txt", "w") as f:
                f.write("%s %s %s %s %s" % (P.SCALE * 2, P.TIP[2], NP["1"].POWER, [r.idx for r in R.group("organs")], R["organ-1"].am("organs")))
            print("model finished")
            """)
        let run = try await runInContainer(image: "gssa/python:bookworm", input: input, scratch: root.url)
        #expect(run.exitCode == 0)
        #expect(try String(contentsOf: run.output.appendingPathComponent("logs/exit_status"), encoding: .utf8) == "0\nOK")
        #expect(try String(contentsOf: run.output.appendingPathComponent("run/result.txt"), encoding: .utf8) == "1.0 3.0 200.0 [3] True")
        #expect(try String(contentsOf: run.output.appendingPathComponent("logs/job.out"), encoding: .utf8) == "model finished\n")
        let statuses = run.logs.split(separator: "\n").compactMap { StatusLine(rendered: $0) }
        #expect(statuses == [StatusLine(percentage: "33.333333", message: "step 1"),
                             StatusLine(percentage: "66.666667", message: "step 2"),
                             StatusLine(percentage: "100.000000", message: "step 3")])
    }

    @Test func exitFourWithErrorMessageIsAModelError() async throws {
        try #require(Self.engineAnswers && Self.pythonImage, "a Docker engine with gssa/python:bookworm")
        let root = try SharedRoot()
        let input = try makeInput(root, script: """
            import sys
            open("error_message", "w").write("Needle tip outside the organ")
            sys.exit(4)
            """)
        let run = try await runInContainer(image: "gssa/python:bookworm", input: input, scratch: root.url)
        #expect(run.exitCode == 4)
        let status = try String(contentsOf: run.output.appendingPathComponent("logs/exit_status"), encoding: .utf8)
        #expect(status == "4\nError in script: Needle tip outside the organ")
        #expect(ExitStatus(fileContents: status).errorCode == .model)
    }

    @Test func traversalInStartArchiveIsRefusedInTheContainer() async throws {
        try #require(Self.engineAnswers && Self.pythonImage, "a Docker engine with gssa/python:bookworm")
        let root = try SharedRoot()
        let input = try makeInput(root, script: "open('/shared/pwned', 'w')\n", extra: [.file("../../etc/evil", "x")])
        let run = try await runInContainer(image: "gssa/python:bookworm", input: input, scratch: root.url)
        #expect(run.exitCode == 2)
        let status = try String(contentsOf: run.output.appendingPathComponent("logs/exit_status"), encoding: .utf8)
        #expect(status.hasPrefix("2\nstart archive rejected: member '../../etc/evil' contains '..'"))
        #expect(!FileManager.default.fileExists(atPath: run.output.appendingPathComponent("run/start.py").path))
    }

    @Test func gosmartPytestSuitePassesInThePythonImage() async throws {
        try #require(Self.engineAnswers && Self.pythonImage, "a Docker engine with gssa/python:bookworm")
        try await gosmartPytestSuitePasses(in: "gssa/python:bookworm")
    }

    /// The FEniCS image is big; CI builds it when GSSA_CI_FENICS=1, and then it must be there.
    @Test(.requiresImages("gssa/fenics:bookworm", requiredInCIWhen: "GSSA_CI_FENICS"))
    func gosmartPytestSuitePassesInTheFEniCSImage() async throws {
        try await gosmartPytestSuitePasses(in: "gssa/fenics:bookworm")
    }

    private func gosmartPytestSuitePasses(in image: String) async throws {
        let result = try await sh(["docker", "run", "--rm", "--network", "none", image,
                             "python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", "/usr/share/gssa/gosmart-tests"])
        #expect(result.status == 0, "pytest in \(image):\n\(result.out)\n\(result.err)")
        #expect(result.out.contains(" passed"))
        if image.hasPrefix("gssa/fenics") { #expect(!result.out.contains("skipped"), "mesh tests must run in the FEniCS image") }
    }
}
