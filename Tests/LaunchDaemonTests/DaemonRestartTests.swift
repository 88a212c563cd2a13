import ContainerEngine
import Foundation
import GSSAArchive
import GSSACore
import GSSATestSupport
import LaunchClient
import LaunchDaemon
import LaunchProtocol
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `gssa-dockerlaunch` executable: `kill -9` mid-run, restart, ATTACH, completion, no orphans.
@Suite("Daemon crash and restart", .serialized, .requiresDockerEngine, .requiresImages(DockerFixture.image))
struct DaemonRestartTests {
    /// The built executable next to the test bundle, or `GSSA_DOCKERLAUNCH_BIN`.
    static func executable() -> URL? {
        if let path = ProcessInfo.processInfo.environment["GSSA_DOCKERLAUNCH_BIN"] { return URL(fileURLWithPath: path) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("gssa-dockerlaunch")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let fallback = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/gssa-dockerlaunch")
        return FileManager.default.isExecutableFile(atPath: fallback.path) ? fallback : nil
    }

    private func launch(_ binary: URL, config: URL, log: URL) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["--config", config.path, "--log-level", "info"]
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    private func waitForSocket(_ path: String, process: Process) async throws {
        for _ in 0..<400 {
            if FileManager.default.fileExists(atPath: path), (try? RawConnection(path: path)) != nil { return }
            guard process.isRunning else { throw GSSAError.server("gssa-dockerlaunch exited with \(process.terminationStatus)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw GSSAError.server("gssa-dockerlaunch did not listen on \(path)")
    }

    @Test func killNineMidRunThenRestartAttachAndComplete() async throws {
        let binary = try #require(Self.executable(), "gssa-dockerlaunch is not built (swift build --product gssa-dockerlaunch)")
        try await withDockerEngine { engine, image in
            let scratch = try Scratch()
            defer { scratch.remove() }
            let daemonID = "restart-test-\(UUID().uuidString.prefix(8))"
            let socket = scratch.root.appendingPathComponent("run/dl.sock").path
            let runner = scratch.root.appendingPathComponent("runner")
            try standInRunner.write(to: runner, atomically: true, encoding: .utf8)
            let config = scratch.root.appendingPathComponent("dockerlaunch.yml")
            try """
                socket: \(socket)
                data_root: \(scratch.root.path)
                allowed_images: ["\(image)"]
                max_containers: 3
                default_limits: {memory: 256m, cpus: 1, pids: 128}
                walltime: 300
                orphan_ttl: 600
                author: gssa-tests
                org: gssa
                runner: \(runner.path)
                daemon_id: \(daemonID)
                """.write(to: config, atomically: true, encoding: .utf8)
            let log = scratch.root.appendingPathComponent("daemon.log")
            let mine = [LaunchDaemon.Label.daemon: daemonID]
            // Whatever happens, no container of this daemon is left (awaited, not left to a stray task).
            func removeMine() async throws {
                for container in try await engine.listContainers(labels: mine, all: true) {
                    try await engine.removeContainer(container.id, force: true)
                }
            }
            do {

                let first = try launch(binary, config: config, log: log)
                try await waitForSocket(socket, process: first)
                try scratch.write(
                    // Holds until the test releases it after re-attaching, so the restart never races the job.
                    "echo '##gssa-status## 20|started' >&3\ni=0; while [ ! -e /shared/release ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done\necho survived > survived.txt\necho '##gssa-status## 100|done' >&3\n",
                    to: "crash/input/job.sh")
                let args = StartArguments(
                    guid: "crash", image: image, input: scratch.root.appendingPathComponent("crash/input").path,
                    output: scratch.root.appendingPathComponent("crash/output").path)
                try await LaunchClient.withConnection(socket: socket) { client in
                    _ = try await client.start(args)
                    for await event in client.events {
                        if case .status(_, 20, _) = event { break }
                    }
                }
                kill(first.processIdentifier, SIGKILL)
                first.waitUntilExit()
                #expect(first.terminationReason == .uncaughtSignal)
                let stillRunning = try await engine.listContainers(labels: mine, all: false)
                #expect(stillRunning.count == 1, "the container outlives the daemon")

                unlink(socket)  // the dead daemon's socket file stays behind; the new one replaces it
                let second = try launch(binary, config: config, log: log)
                try await waitForSocket(socket, process: second)
                let (reply, result, statuses) = try await LaunchClient.withConnection(socket: socket) { client in
                    let reply = try await client.attach(guid: "crash")
                    if let container = stillRunning.first {
                        try await engine.putArchive(container.id, path: "/", tar: try TarBuilder.build([
                            TarEntry(path: "shared/release", content: .data(Data()), mode: 0o644),
                        ]))
                    }
                    var statuses: [String] = []
                    for await event in client.events {
                        switch event {
                        case .status(_, _, let message): statuses.append(message)
                        case .exit(_, let result): return (reply, result, statuses)
                        case .log: continue
                        }
                    }
                    throw GSSAError.server("no exit event after ATTACH")
                }
                #expect(reply.state == .running)
                #expect(result.exitCode == 0 && result.outputCollected, "\(result)")
                #expect(statuses == ["started", "done"], "status history is rebuilt from the container's log")
                #expect(scratch.read("crash/output/run/survived.txt") == "survived\n")
                #expect(try await engine.listContainers(labels: mine, all: true).isEmpty, "no orphans")

                // Graceful shutdown on SIGTERM removes the socket and exits cleanly.
                kill(second.processIdentifier, SIGTERM)
                second.waitUntilExit()
                #expect(second.terminationStatus == 0)
                #expect(!FileManager.default.fileExists(atPath: socket))
                if second.terminationStatus != 0 || !result.outputCollected {
                    print(scratch.read("daemon.log") ?? "")
                }
            } catch {
                try await removeMine()
                throw error
            }
            try await removeMine()
        }
    }
}
