import ContainerEngine
import Foundation
import GSSACore
import GSSATestSupport
import LaunchClient
import LaunchDaemon
import LaunchProtocol
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The daemon on a real socket against the real dockerd, with the stand-in runner
/// (`job.sh` decides what the "model" does). A missing engine fails under CI=true.
@Suite("Launch daemon on dockerd", .serialized, .requiresDockerEngine, .requiresImages(DockerFixture.image))
struct DockerDaemonTests {
    /// Engine, image, a daemon on a temp socket; torn down (and its containers removed) afterwards.
    private func withDaemon(
        maxContainers: Int = 3, group: String? = nil, runner: String? = nil,
        _ body: (DockerEngine, String, RunningDaemon) async throws -> Void
    ) async throws {
        try await withDockerDaemon(group: group, maxContainers: maxContainers, runner: runner, body)
    }

    private func shellJob(_ scratch: Scratch, _ guid: String, image: String, _ script: String) throws -> StartArguments {
        try scratch.write(script, to: "\(guid)/input/job.sh")
        return StartArguments(
            guid: guid, image: image, input: scratch.root.appendingPathComponent("\(guid)/input").path,
            output: scratch.root.appendingPathComponent("\(guid)/output").path, logs: true)
    }

    @Test func runRelaysStatusAndCollectsOutput() async throws {
        try await withDaemon { engine, image, daemon in
            let scratch = daemon.scratch
            try scratch.write("SIMULATION_SCALING: [float, '0.001']\n", to: "s1/input/parameters.yml")
            let args = try shellJob(scratch, "s1", image: image, """
                echo '##gssa-status## 10|Reading parameters' >&3
                cat /shared/input/parameters.yml > result.yml
                echo '##gssa-status## 50|Solving' >&3
                echo 'a plain line' >&3
                echo 'model says hi'
                echo '##gssa-status## |Writing output' >&3
                id -un > whoami.txt
                """)
            let (run, logs, container) = try await LaunchClient.withConnection(socket: daemon.socket) { client in
                let run = try await runToExit(client, args)
                return (run, try await client.logs(), try await client.container())
            }
            #expect(logs.stdout?.contains("a plain line") == true, "LOGS keeps the relayed output")
            #expect(container.state == .finished && container.result == run.result && container.containerID == run.reply.containerID)
            #expect(run.reply.imageID?.hasPrefix("sha256:") == true)
            #expect(run.result.exitCode == 0 && !run.result.oomKilled && !run.result.timedOut)
            #expect(run.result.outputCollected, "\(run.result.error ?? "")")
            #expect(run.result.imageID == run.reply.imageID)
            #expect(run.statuses.map(\.1) == ["Reading parameters", "Solving", "Writing output"])
            #expect(run.statuses.map(\.0) == [10, 50, nil])
            #expect(run.logs == ["a plain line"])
            #expect(scratch.read("s1/output/run/result.yml") == "SIMULATION_SCALING: [float, '0.001']\n")
            #expect(scratch.read("s1/output/logs/job.out") == "model says hi\n")
            #expect(ExitStatus.read(output: scratch.root.appendingPathComponent("s1/output")).errorCode == .success)
            if image.hasPrefix("gssa/python") {
                #expect(scratch.read("s1/output/run/whoami.txt") == "gssa\n", "runs as the image's gssa user")
            }
            let left = try await engine.listContainers(labels: [LaunchDaemon.Label.guid: "s1"], all: true)
            #expect(left.isEmpty, "the container is removed after collection")
        }
    }

    @Test func modelExitFourWithErrorMessageIsEModel() async throws {
        try await withDaemon { _, image, daemon in
            let args = try shellJob(daemon.scratch, "m4", image: image, """
                echo 'Mesh has inverted elements' > error_message
                exit 4
                """)
            let run = try await LaunchClient.withConnection(socket: daemon.socket) { try await runToExit($0, args) }
            #expect(run.result.exitCode == 4)
            let status = ExitStatus.read(output: daemon.scratch.root.appendingPathComponent("m4/output"))
            #expect(status.errorCode == .model)
            #expect(status.message == "Error in script: Mesh has inverted elements")
        }
    }

    @Test func memoryLimitProducesAnOOMReport() async throws {
        try await withDaemon { _, image, daemon in
            var args = try shellJob(daemon.scratch, "oom", image: image, """
                echo '##gssa-status## 1|allocating' >&3
                head -c 400000000 /dev/zero | tail > /dev/null
                """)
            args.limits = ContainerLimits(memory: 32 << 20)
            let run = try await LaunchClient.withConnection(socket: daemon.socket) { try await runToExit($0, args) }
            #expect(run.result.oomKilled, "\(run.result)")
            #expect(run.result.exitCode == 137)
            // The model's fault, said the same way by the outcome and by exit_status.
            let output = daemon.scratch.root.appendingPathComponent("oom/output")
            let outcome = run.result.outcome(output: output)
            #expect(outcome.code == .model && outcome.message == "out of memory (limit 32 MiB)", "\(outcome)")
            let status = ExitStatus.read(output: output)
            #expect(status.errorCode == .model && status.message == "out of memory (limit 32 MiB)", "\(status)")
        }
    }

    @Test func walltimeKillsAndReportsTimeout() async throws {
        try await withDaemon { _, image, daemon in
            var args = try shellJob(daemon.scratch, "wt", image: image, "echo '##gssa-status## 1|sleeping' >&3\nsleep 600\n")
            args.walltime = 2
            let started = Date()
            let run = try await LaunchClient.withConnection(socket: daemon.socket) { try await runToExit($0, args) }
            #expect(run.result.timedOut)
            #expect(run.result.exitCode.map { $0 != 0 } == true, "stopped with SIGTERM (143) or SIGKILL (137)")
            #expect(Date().timeIntervalSince(started) < 120, "killed long before the job's own end")
            // "timed out after 2 s" everywhere: the outcome and exit_status (not "Cancelled").
            let output = daemon.scratch.root.appendingPathComponent("wt/output")
            let outcome = run.result.outcome(output: output)
            #expect(outcome.code == .model && outcome.message == "timed out after 2 s", "\(outcome)")
            let status = ExitStatus.read(output: output)
            #expect(status.errorCode == .model && status.message == "timed out after 2 s", "\(status)")
        }
    }

    @Test func nonWhitelistedImageIsRefused() async throws {
        try await withDaemon { engine, image, daemon in
            var args = try shellJob(daemon.scratch, "wl", image: image, "true")
            args.image = "gssa/debian:not-whitelisted"
            do {
                _ = try await LaunchClient.withConnection(socket: daemon.socket) { try await $0.start(args) }
                Issue.record("START of a non-whitelisted image succeeded")
            } catch let error as GSSAError {
                #expect(error.message.contains("This image is not a whitelisted image"))
            }
            #expect(try await engine.listContainers(labels: [LaunchDaemon.Label.guid: "wl"], all: true).isEmpty)
        }
    }

    @Test func capRefusesTheContainerAboveMax() async throws {
        try await withDaemon(maxContainers: 3) { engine, image, daemon in
            try await LaunchClient.withConnection(socket: daemon.socket) { client in
                for index in 0..<3 {
                    _ = try await client.start(try shellJob(daemon.scratch, "cap\(index)", image: image, "sleep 600"))
                }
                do {
                    _ = try await client.start(try shellJob(daemon.scratch, "cap3", image: image, "sleep 600"))
                    Issue.record("the 4th concurrent START succeeded with max 3")
                } catch let error as GSSAError {
                    #expect(error.message == "Too many containers (max: 3)")
                }
                #expect(try await client.usage() == UsageReply(running: 3, max: 3))
                let running = try await engine.listContainers(
                    labels: [LaunchDaemon.Label.daemon: daemon.daemon.configuration.daemonID], all: false)
                #expect(running.count == 3)
                for index in 0..<3 {
                    let result = try await client.destroy(guid: "cap\(index)")
                    #expect(result.cancelled)
                }
                #expect(try await client.usage().running == 0)
            }
            let left = try await engine.listContainers(
                labels: [LaunchDaemon.Label.daemon: daemon.daemon.configuration.daemonID], all: true)
            #expect(left.isEmpty)
        }
    }

    @Test func thirtyFirstConcurrentContainerIsRefusedAtTheDefaultCap() async throws {
        try await withDaemon(maxContainers: DaemonConfiguration(socket: "", dataRoot: "", allowedImages: [], runner: "").maxContainers) {
            engine, image, daemon in
            #expect(daemon.daemon.configuration.maxContainers == 30)
            let arguments = try (0..<31).map { try shellJob(daemon.scratch, "d\($0)", image: image, "sleep 600") }
            // 31 clients START at once; exactly one is refused.
            let outcomes = await withTaskGroup(of: String.self) { group in
                for args in arguments {
                    group.addTask {
                        do {
                            _ = try await LaunchClient.withConnection(socket: daemon.socket) { try await $0.start(args) }
                            return "started"
                        } catch {
                            return (error as? GSSAError)?.message ?? "\(error)"
                        }
                    }
                }
                var outcomes: [String] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            #expect(outcomes.filter { $0 == "started" }.count == 30)
            #expect(outcomes.filter { $0 == "Too many containers (max: 30)" }.count == 1, "\(outcomes.filter { $0 != "started" })")
            let running = try await engine.listContainers(
                labels: [LaunchDaemon.Label.daemon: daemon.daemon.configuration.daemonID], all: false)
            #expect(running.count == 30)
            let after = try await LaunchClient.withConnection(socket: daemon.socket) { client -> Int in
                for index in 0..<31 { _ = try? await client.destroy(guid: "d\(index)") }
                return try await client.usage().running
            }
            #expect(after == 0)
        }
    }

    @Test func anotherUidCannotActOnTheRun() async throws {
        // The socket's group is nogroup, so uid 65534 (nobody) may connect, as a second user.
        try await withDaemon(group: "nogroup") { _, image, daemon in
            let socketMode = try FileManager.default.attributesOfItem(atPath: daemon.socket)[.posixPermissions] as? Int
            #expect(socketMode == 0o770)
            chmod((daemon.socket as NSString).deletingLastPathComponent, 0o755)
            try await LaunchClient.withConnection(socket: daemon.socket) { client in
                _ = try await client.start(try shellJob(daemon.scratch, "mine", image: image, "sleep 600"))
                let script = """
                    import json, socket, sys
                    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb")
                    for cmd in ("ATTACH", "DESTROY", "WAIT", "LOGS", "CONTAINER"):
                        f.write((json.dumps({"command": cmd, "arguments": {"guid": "mine", "timeout": 0}}) + "\\n").encode()); f.flush()
                        print(f.readline().decode().strip())
                    """
                let output = try await runAsNobody(["/usr/bin/python3", "-c", script, daemon.socket])
                let replies = output.split(separator: "\n")
                #expect(replies.count == 5, "\(output)")
                for reply in replies {
                    #expect(reply.contains("\"success\":false") && reply.contains("belongs to another user"), "\(reply)")
                }
                let mine = try await client.container(guid: "mine")
                #expect(mine.state == .running, "the other uid did not stop it")
                _ = try await client.destroy(guid: "mine")
            }
        }
    }

    @Test func splitAndPipelinedFramesAndGarbage() async throws {
        try await withDaemon { _, _, daemon in
            let connection = try RawConnection(path: daemon.socket)
            // One frame cut in three writes.
            try connection.send("{\"command\":")
            try await Task.sleep(for: .milliseconds(50))
            try connection.send("\"USA")
            try await Task.sleep(for: .milliseconds(50))
            try connection.send("GE\"}\n")
            #expect(try connection.reply().success)
            // Three frames in one write, answered in order.
            try connection.send("{\"command\":\"USAGE\"}\n{\"command\":\"NOPE\"}\n{\"command\":\"USAGE\",\"arguments\":null}\n")
            let replies = try (0..<3).map { _ in try connection.reply() }
            #expect(replies.map(\.success) == [true, false, true])
            #expect(replies[1].message == "Unknown command: NOPE")
            // 1 MiB of garbage with no newline, then its end, then a good frame.
            let garbage = [UInt8](repeating: UInt8(ascii: "g"), count: 1 << 20) + [UInt8](repeating: UInt8(ascii: "h"), count: 4096)
            try connection.send(garbage)
            try connection.send("\n{\"command\":\"USAGE\"}\n")
            let refused = try connection.reply()
            #expect(!refused.success && refused.message.contains("Frame too large"))
            let after = try connection.reply()
            #expect(after.success && after.message.contains("\"max\":3"))
            // Garbage that is a complete but invalid line.
            try connection.send("\u{1}\u{2} not json at all\n{\"command\":\"USAGE\"}\n")
            #expect(try connection.reply().message.contains("Invalid request"))
            #expect(try connection.reply().success)
        }
    }

    @Test func outputWithEscapingSymlinkIsRefused() async throws {
        try await withDaemon { _, image, daemon in
            let args = try shellJob(daemon.scratch, "esc", image: image, """
                echo innocent > data.txt
                ln -s /etc/passwd ../stolen
                ln -s ../../../../../../etc ../up
                """)
            let run = try await LaunchClient.withConnection(socket: daemon.socket) { try await runToExit($0, args) }
            #expect(!run.result.outputCollected)
            #expect(run.result.error?.contains("refusing tar") == true, "\(run.result.error ?? "")")
            let out = daemon.scratch.root.appendingPathComponent("esc/output")
            let extracted = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
            #expect(extracted.isEmpty, "nothing of a refused archive is extracted")
        }
    }

    @Test func clientDisconnectDoesNotLeakTheRun() async throws {
        try await withDaemon { engine, image, daemon in
            let args = try shellJob(daemon.scratch, "dc", image: image, "sleep 2\necho late > late.txt")
            _ = try await LaunchClient.withConnection(socket: daemon.socket) { try await $0.start(args) }
            // The client is gone; the daemon still finishes, collects and removes the container.
            let result = try await LaunchClient.withConnection(socket: daemon.socket) { client in
                _ = try await client.attach(guid: "dc")
                return try await client.wait()
            }
            #expect(result.exitCode == 0 && result.outputCollected)
            #expect(daemon.scratch.read("dc/output/run/late.txt") == "late\n")
            #expect(try await engine.listContainers(labels: [LaunchDaemon.Label.guid: "dc"], all: true).isEmpty)
        }
    }
}

/// Runs a command as uid/gid 65534 and returns its stdout.
func runAsNobody(_ arguments: [String]) async throws -> String {
    let result = try await CapturedProcess.run(
        URL(fileURLWithPath: "/usr/bin/setpriv"), ["--reuid=65534", "--regid=65534", "--clear-groups"] + arguments)
    if result.status != 0 {
        throw GSSAError.server("setpriv \(arguments.joined(separator: " ")) failed: \(result.stderrText)")
    }
    return result.stdoutText
}
