import ContainerEngine
import Foundation
import GSSAArchive
import GSSACore
import GSSATestSupport
import LaunchClient
import LaunchDaemon
import LaunchProtocol
import Testing

/// The production path end to end: the daemon injects the real static `gssa-container`
/// runner into `gssa/python:bookworm`, which runs a gosmart `start.py`.
@Suite("Daemon with the real runner", .serialized, .requiresDockerEngine, .requiresImages("gssa/python:bookworm"))
struct RealRunnerTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `GSSA_RUNNER_BIN`, or the static runner built by scripts/build-runner (once per process).
    static let runner: Result<String, GSSAError> = {
        if let path = ProcessInfo.processInfo.environment["GSSA_RUNNER_BIN"] { return .success(path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: repository.appendingPathComponent("scripts/build-runner").path)
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch { return .failure(GSSAError.server("scripts/build-runner: \(error)")) }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, FileManager.default.isExecutableFile(atPath: path) else {
            return .failure(GSSAError.server("scripts/build-runner failed (\(process.terminationStatus))"))
        }
        return .success(path)
    }()

    private func input(_ scratch: Scratch, _ name: String, script: String) throws -> URL {
        try scratch.write(
            "CONSTANT_SCALE: [float, '0.5']\nSETTING_STEPS: [integer, '3']\n", to: "\(name)/input/parameters.yml")
        try scratch.write(
            "class: boundary\nindex: '1'\ninput: library:rfa\nparameters: {NEEDLE_POWER: [float, '200']}\n",
            to: "\(name)/input/needle_parameters.yml")
        try scratch.write(
            "tumour-1: {format: zone, groups: [tumours], input: tumour-1.stl, id: 3, meshed_as: zone}\n",
            to: "\(name)/input/regions.yml")
        let writer = try TarGzWriter(url: scratch.root.appendingPathComponent("\(name)/input/start.tar.gz"))
        try writer.add("start.py", .file(Data(script.utf8)))
        try writer.finish()
        return scratch.root.appendingPathComponent("\(name)/input")
    }

    /// The real engine and a daemon injecting the real runner into gssa/python:bookworm; torn
    /// down (with its containers and scratch) afterwards.
    private func withRealRunner(_ body: (DockerEngine, RunningDaemon) async throws -> Void) async throws {
        let runner = try Self.runner.get()
        try await withDockerEngine { engine, _ in
            guard try await engine.inspectImage("gssa/python:bookworm") != nil else {
                throw GSSAError.server("gssa/python:bookworm is missing: run `gssa images build python`")
            }
            let scratch = try Scratch()
            defer { scratch.remove() }
            try await RunningDaemon.with(
                engine: engine, scratch: scratch, images: ["gssa/python:bookworm"], runner: runner
            ) { daemon in
                try await body(engine, daemon)
            }
        }
    }

    @Test func startPyReadsParametersReportsStatusAndWritesOutput() async throws {
        try await withRealRunner { engine, daemon in
            let scratch = daemon.scratch
            let input = try input(scratch, "py", script: """
                import json
                import gosmart
                gosmart.setup()
                from gosmart.parameters import P, NP, R, update
                update.status("read parameters", 10)
                tumours = [r.idx for r in R.group("tumours")]
                update.status("solving", 50.5)
                out = {"scale": P.CONSTANT_SCALE, "steps": P.SETTING_STEPS, "power": NP["1"].NEEDLE_POWER, "tumours": tumours}
                with open("result.json", "w") as f:
                    json.dump(out, f, sort_keys=True)
                print("model stdout line")
                update.status("done")
                """)
            let args = StartArguments(
                guid: "py", image: "gssa/python:bookworm", input: input.path,
                output: scratch.root.appendingPathComponent("py/output").path, archive: "start.tar.gz", target: "start.py",
                interpreter: "python3", logs: true)
            let run = try await LaunchClient.withConnection(socket: daemon.socket) { try await runToExit($0, args) }
            #expect(run.result.exitCode == 0, "\(run.result) \(run.logs)")
            #expect(run.result.outputCollected)
            #expect(run.statuses.map(\.1) == ["read parameters", "solving", "done"])
            #expect(run.statuses.map(\.0) == [10, 50.5, nil])
            #expect(run.logs.contains("model stdout line"))
            let result = try #require(scratch.read("py/output/run/result.json"))
            #expect(result == #"{"power": 200.0, "scale": 0.5, "steps": 3, "tumours": [3]}"#)
            #expect(scratch.read("py/output/logs/job.out")?.contains("model stdout line") == true)
            let status = ExitStatus.read(output: scratch.root.appendingPathComponent("py/output"))
            #expect(status.errorCode == .success)
        }
    }

    @Test func walltimeStopsTheRunnerWhichStillPublishes() async throws {
        try await withRealRunner { engine, daemon in
            let scratch = daemon.scratch
            let input = try input(scratch, "wt", script: """
                import time
                from gosmart.parameters import update
                update.status("sleeping", 1)
                time.sleep(600)
                """)
            let args = StartArguments(
                guid: "wt", image: "gssa/python:bookworm", input: input.path,
                output: scratch.root.appendingPathComponent("wt/output").path, walltime: 3, archive: "start.tar.gz",
                target: "start.py", interpreter: "python3")
            let run = try await LaunchClient.withConnection(socket: daemon.socket) { try await runToExit($0, args) }
            #expect(run.result.timedOut)
            #expect(run.result.outputCollected, "the runner forwards SIGTERM, writes exit_status and publishes")
            // The runner saw only SIGTERM and wrote "Cancelled"; the daemon's verdict replaces it.
            let status = ExitStatus.read(output: scratch.root.appendingPathComponent("wt/output"))
            #expect(status.errorCode == .model && status.message == "timed out after 3 s", "\(status)")
            #expect(FileManager.default.fileExists(atPath: scratch.root.appendingPathComponent("wt/output/logs/job.out").path))
        }
    }

    /// What `gssa container run` and the server report, through the one classifier they share
    /// (LaunchClient's `RunResult.outcome(output:)`; the CLI exits with the outcome's code).
    @Test func exitFourWithErrorMessageIsEModelForEveryClient() async throws {
        try await withRealRunner { engine, daemon in
            let scratch = daemon.scratch
            let input = try input(scratch, "m", script: """
                import sys
                with open("error_message", "w") as f:
                    f.write("Tumour region is empty")
                sys.exit(4)
                """)
            let output = scratch.root.appendingPathComponent("m/output")
            let args = StartArguments(
                guid: "m", image: "gssa/python:bookworm", input: input.path, output: output.path, walltime: 120,
                archive: "start.tar.gz", target: "start.py", interpreter: "python3")
            let run = try await LaunchClient.withConnection(socket: daemon.socket) { try await runToExit($0, args) }
            #expect(run.result.exitCode == 4, "\(run.result)")
            let outcome = run.result.outcome(output: output)
            #expect(outcome.code == .model, "E_MODEL is exit status 4: \(outcome)")
            #expect(outcome.message.contains("Tumour region is empty"))
            let status = ExitStatus.read(output: output)
            #expect(status.errorCode == .model)
            #expect(status.message.contains("Tumour region is empty"))
        }
    }
}
