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

/// `gssa-dockerlaunch` with `executor: swarm` on a real 3-node swarm made by scripts/swarm-up
/// (dockerds in network namespaces on this machine) and removed by scripts/swarm-down. One test,
/// so the swarm is made once: runs spread over nodes, cancel, walltime, out of memory, a worker's dockerd
/// killed mid-run, the launch daemon killed mid-run, and nothing of gssa's left behind.
@Suite(
    "Launch daemon on a real swarm", .serialized, .requiresDockerEngine, .requiresImages("gssa/python:bookworm"),
    .requiresTool("nsenter"))
struct SwarmExecutorTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    /// The swarm's names: apart from a swarm a developer (or the benchmark) may have up, and, with
    /// `GSSA_SWARM_TEST_PREFIX=p` set, from another test run on the same machine (prefix `pe`).
    static let prefix = ProcessInfo.processInfo.environment["GSSA_SWARM_TEST_PREFIX"].map { $0 + "e" } ?? "gssa-swt"
    static let base = prefix == "gssa-swt" ? "/var/lib/gssa-swarm-test" : "/var/lib/\(prefix)-swarm-test"
    static let environment: [String: String] = ProcessInfo.processInfo.environment.merging([
        "GSSA_SWARM_DIR": base, "GSSA_SWARM_PREFIX": prefix, "GSSA_SWARM_SUBNET": "10.78.0",
        "GSSA_SWARM_IMAGES": "gssa/python:bookworm",
    ]) { $1 }
    static let image = "gssa/python:bookworm"

    static func script(_ name: String, _ arguments: [String] = []) async throws -> SpawnedProcess {
        try await SpawnedProcess.run(repository.appendingPathComponent("scripts/\(name)").path, arguments, environment: environment)
    }

    static func docker(node: Int, _ arguments: [String]) async throws -> String {
        let result = try await SpawnedProcess.run("/usr/bin/docker", ["-H", "unix://\(base)/n\(node)/docker.sock"] + arguments)
        guard result.status == 0 else { throw GSSAError.server("docker \(arguments): \(result.stderrText)") }
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func input(_ scratch: Scratch, _ name: String, script: String) throws -> URL {
        try scratch.write("CONSTANT_SCALE: [float, '0.5']\n", to: "\(name)/input/parameters.yml")
        let writer = try TarGzWriter(url: scratch.root.appendingPathComponent("\(name)/input/start.tar.gz"))
        try writer.add("start.py", .file(Data(script.utf8)))
        try writer.finish()
        return scratch.root.appendingPathComponent("\(name)/input")
    }

    private func arguments(_ scratch: Scratch, _ guid: String, script: String, walltime: Double? = nil) throws -> StartArguments {
        StartArguments(
            guid: guid, image: Self.image, input: try input(scratch, guid, script: script).path,
            output: scratch.root.appendingPathComponent("\(guid)/output").path, walltime: walltime,
            archive: "start.tar.gz", target: "start.py", interpreter: "python3", logs: true)
    }

    static let work = """
        import json, os
        from gosmart.parameters import update
        update.status("started", 10)
        with open("result.json", "w") as f:
            json.dump({"net": sorted(os.listdir("/sys/class/net")), "value": 42}, f)
        update.status("done")
        """
    /// Becomes a shell pipe that holds 400 MB (as DockerDaemonTests' OOM job does).
    static let hungry = """
        import os
        from gosmart.parameters import update
        update.status("allocating", 1)
        os.makedirs("output", exist_ok=True)
        open("output/oom_score_adj", "w").write(open("/proc/self/oom_score_adj").read().strip())
        os.execvp("sh", ["sh", "-c", "head -c 400000000 /dev/zero | tail > /dev/null"])
        """
    /// Holds until the test creates /shared/release (or 300 s pass).
    static let hold = """
        import os, time
        from gosmart.parameters import update
        update.status("holding", 20)
        for _ in range(3000):
            if os.path.exists("/shared/release"):
                break
            time.sleep(0.1)
        with open("survived.txt", "w") as f:
            f.write("survived\\n")
        update.status("done")
        """

    private func launch(_ binary: URL, config: URL, log: URL) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["--config", config.path, "--log-level", "info"]
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    private func waitForSocket(_ path: String, process: Process) async throws {
        for _ in 0..<1200 {
            if FileManager.default.fileExists(atPath: path), (try? RawConnection(path: path)) != nil { return }
            guard process.isRunning else { throw GSSAError.server("gssa-dockerlaunch exited with \(process.terminationStatus)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw GSSAError.server("gssa-dockerlaunch did not listen on \(path)")
    }

    private func waitForExit(_ process: Process) async throws {
        for _ in 0..<1200 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
    }

    /// Starts `arguments` and returns once the run reported `status` (the task is running).
    private func startAndWait(_ socket: String, _ arguments: StartArguments, status: String) async throws -> RunReply {
        try await withTimeout(180, "run \(arguments.guid) to report '\(status)'") {
            try await LaunchClient.withConnection(socket: socket) { client in
                let reply = try await client.start(arguments)
                for await event in client.events {
                    if case .status(_, _, let message) = event, message == status { return reply }
                    if case .exit(_, let result) = event { throw GSSAError.server("run \(arguments.guid) ended early: \(result)") }
                }
                throw GSSAError.server("connection closed before run \(arguments.guid) reported \(status)")
            }
        }
    }

    private func attachToExit(_ socket: String, _ guid: String, seconds: Double = 180) async throws -> RunResult {
        try await withTimeout(seconds, "run \(guid) to finish") {
            try await LaunchClient.withConnection(socket: socket) { client in
                _ = try await client.attach(guid: guid)
                for await event in client.events {
                    if case .exit(_, let result) = event { return result }
                }
                throw GSSAError.server("no exit event for \(guid)")
            }
        }
    }

    /// The node a run's task was placed on (its hostname).
    private func node(of service: String) async throws -> String {
        for _ in 0..<240 {
            let node = try await Self.docker(node: 1, ["service", "ps", service, "--format", "{{.Node}}"])
            if !node.isEmpty { return node.split(separator: "\n")[0].description }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw GSSAError.server("service \(service) was never placed")
    }

    private func release(_ reply: RunReply) throws {
        let id = try #require(reply.containerID)
        let path = "\(Self.base)/shared/runs/\(id)/shared/release"
        guard FileManager.default.createFile(atPath: path, contents: Data()) else { throw GSSAError.server("cannot create \(path)") }
    }

    @Test func runsCancelsTimesOutSurvivesANodeAndTheDaemonOnARealSwarm() async throws {
        let binary = try #require(DaemonRestartTests.executable(), "gssa-dockerlaunch is not built")
        let runner = try RealRunnerTests.runner.get()
        let started = Date()
        _ = try await Self.script("swarm-down")
        let up = try await Self.script("swarm-up", ["3"])
        try #require(up.status == 0, "scripts/swarm-up failed: \(up.stderrText)")
        let manager = try #require(up.stdoutText.split(separator: "\n").last.map(String.init))
        #expect(manager == "manager=unix://\(Self.base)/n1/docker.sock")
        print("swarm up in \(Int(Date().timeIntervalSince(started))) s")
        let scratch = try Scratch()
        defer { scratch.remove() }
        var daemons: [Process] = []
        do {
            try await self.scenario(binary: binary, runner: runner, scratch: scratch, daemons: &daemons)
        } catch {
            print(scratch.read("daemon.log") ?? "")
            for process in daemons where process.isRunning { kill(process.processIdentifier, SIGKILL) }
            _ = try await Self.script("swarm-down")
            throw error
        }
        let down = try await Self.script("swarm-down")
        #expect(down.status == 0, "scripts/swarm-down: \(down.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: Self.base))
        let namespaces = try await SpawnedProcess.run("/usr/sbin/ip", ["netns", "list"])
        #expect(!namespaces.stdoutText.contains(Self.prefix + "-"), "no namespace left: \(namespaces.stdoutText)")
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(Self.base), "no mount left")
        print("swarm suite took \(Int(Date().timeIntervalSince(started))) s")
    }

    private func scenario(binary: URL, runner: String, scratch: Scratch, daemons: inout [Process]) async throws {
        let daemonID = "swarm-test-\(UUID().uuidString.prefix(8))"
        let socket = scratch.root.appendingPathComponent("run/dl.sock").path
        let config = scratch.root.appendingPathComponent("dockerlaunch.yml")
        try """
            socket: \(socket)
            data_root: \(scratch.root.path)
            allowed_images: ["\(Self.image)"]
            max_containers: 20
            default_limits: {memory: 256m, cpus: 0.5, pids: 256}
            walltime: 300
            orphan_ttl: 600
            stop_grace: 2
            runner: \(runner)
            daemon_id: \(daemonID)
            executor: swarm
            swarm: {manager: "unix://\(Self.base)/n1/docker.sock", shared_root: \(Self.base)/shared}
            """.write(to: config, atomically: true, encoding: .utf8)
        let log = scratch.root.appendingPathComponent("daemon.log")
        var daemon = try launch(binary, config: config, log: log)
        daemons.append(daemon)
        try await waitForSocket(socket, process: daemon)

        // USAGE reports the swarm's size: three ready nodes.
        let usage = try await LaunchClient.withConnection(socket: socket) { try await $0.usage() }
        #expect(usage.nodes == 3 && (usage.cores ?? 0) > 0 && (usage.memoryBytes ?? 0) > 0, "\(usage)")

        // 12 runs at once: all succeed, only `lo` inside, spread over at least two nodes.
        var clock = Date()
        let results = try await withThrowingTaskGroup(of: (String, RunResult).self) { group in
            for index in 0..<12 {
                let args = try arguments(scratch, "spread\(index)", script: Self.work)
                group.addTask {
                    let run = try await LaunchClient.withConnection(socket: socket) { try await runToExit($0, args) }
                    return (args.guid, run.result)
                }
            }
            var results: [(String, RunResult)] = []
            for try await result in group { results.append(result) }
            return results
        }
        for (guid, result) in results {
            #expect(result.exitCode == 0 && result.outputCollected, "\(guid): \(result)")
            #expect(
                scratch.read("\(guid)/output/run/result.json") == #"{"net": ["lo"], "value": 42}"#,
                "\(guid): no network but lo, output collected")
        }
        let nodes = Set(results.compactMap(\.1.node))
        #expect(nodes.count >= 2, "12 runs spread over nodes: \(nodes)")
        print("12 runs on the swarm in \(Int(Date().timeIntervalSince(clock))) s over \(nodes.sorted())")

        // Cancel mid-run: the run ends cancelled and its container leaves its node.
        clock = Date()
        let cancelled = try await startAndWait(socket, try arguments(scratch, "cancel", script: Self.hold), status: "holding")
        let cancelledNode = try await node(of: try #require(cancelled.containerID))
        let destroyed = try await LaunchClient.withConnection(socket: socket) { try await $0.destroy(guid: "cancel") }
        #expect(destroyed.cancelled, "\(destroyed)")
        var cancelledLeft = "?"
        let cancelDeadline = Date().addingTimeInterval(60)
        while Date() < cancelDeadline {
            cancelledLeft = ""
            for node in 1...3 { cancelledLeft += try await Self.docker(node: node, ["ps", "-aq", "--filter", "label=gssa.guid=cancel"]) }
            if cancelledLeft.isEmpty { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(cancelledLeft.isEmpty, "the cancelled run's container is removed from \(cancelledNode)")
        print("cancel in \(Int(Date().timeIntervalSince(clock))) s")

        // Walltime: reported as a timeout.
        clock = Date()
        let timed = try await LaunchClient.withConnection(socket: socket) {
            try await runToExit($0, try arguments(scratch, "walltime", script: Self.hold, walltime: 3))
        }
        #expect(timed.result.timedOut, "\(timed.result)")
        let outcome = timed.result.outcome(output: scratch.root.appendingPathComponent("walltime/output"))
        #expect(outcome.code == .model && outcome.message == "timed out after 3 s", "\(outcome)")
        print("walltime in \(Int(Date().timeIntervalSince(clock))) s")

        // Out of memory on a node: the runner reads its task's cgroup and says so; the daemon reports
        // it as OOM worded with the limit, as on the local executor.
        clock = Date()
        var hungry = try arguments(scratch, "oom", script: Self.hungry)
        hungry.limits = ContainerLimits(memory: 32 << 20)
        let oom = try await LaunchClient.withConnection(socket: socket) { try await runToExit($0, hungry) }
        #expect(oom.result.oomKilled && oom.result.node != nil, "\(oom.result)")
        let oomOutput = scratch.root.appendingPathComponent("oom/output")
        // The model is the kernel's first choice, so the runner lives to give the verdict.
        #expect(scratch.read("oom/output/run/output/oom_score_adj") == "1000")
        let oomOutcome = oom.result.outcome(output: oomOutput)
        #expect(oomOutcome.code == .model && oomOutcome.message == "out of memory (limit 32 MiB)", "\(oomOutcome)")
        let oomStatus = ExitStatus.read(output: oomOutput)
        #expect(oomStatus.errorCode == .model && oomStatus.message == "out of memory (limit 32 MiB)", "\(oomStatus)")
        print("out of memory in \(Int(Date().timeIntervalSince(clock))) s")

        // A worker's dockerd killed mid-run: its run ends E_SERVER naming the node within 60 s.
        clock = Date()
        var holds: [(String, RunReply, String)] = []
        for index in 0..<3 {
            let guid = "node\(index)"
            let reply = try await startAndWait(socket, try arguments(scratch, guid, script: Self.hold), status: "holding")
            holds.append((guid, reply, try await node(of: try #require(reply.containerID))))
        }
        let victim = try #require(holds.first { $0.2 != "\(Self.prefix)-n1" }, "no run on a worker: \(holds.map(\.2))")
        let victimIndex = try #require(Int(victim.2.dropFirst("\(Self.prefix)-n".count)))
        let pid = try #require(Int32(try String(contentsOfFile: "\(Self.base)/n\(victimIndex)/dockerd.pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        let killedAt = Date()
        kill(pid, SIGKILL)
        let lost = try await attachToExit(socket, victim.0, seconds: 120)
        let lostAfter = Date().timeIntervalSince(killedAt)
        #expect(lost.error == "node \(victim.2) lost" && lost.errorCode == "E_SERVER", "\(lost)")
        #expect(lost.outcome(output: scratch.root.appendingPathComponent("\(victim.0)/output")).code == .server)
        #expect(lostAfter < 60, "lost after \(lostAfter) s")
        print("node loss noticed after \(Int(lostAfter)) s")
        for (guid, reply, node) in holds where guid != victim.0 {
            try release(reply)
            let result = try await attachToExit(socket, guid)
            #expect(result.exitCode == 0 && result.outputCollected && result.node == node, "\(guid): \(result)")
        }
        // The worker comes back (swarm-up is idempotent) and takes runs again.
        let again = try await Self.script("swarm-up", ["3"])
        try #require(again.status == 0, "scripts/swarm-up after the kill: \(again.stderrText)")
        var seen: Set<String> = []
        for round in 0..<4 where !seen.contains(victim.2) {
            let batch = try await withThrowingTaskGroup(of: RunResult.self) { group in
                for index in 0..<3 {
                    let args = try arguments(scratch, "back\(round)-\(index)", script: Self.work)
                    group.addTask { try await LaunchClient.withConnection(socket: socket) { try await runToExit($0, args) }.result }
                }
                var results: [RunResult] = []
                for try await result in group { results.append(result) }
                return results
            }
            for result in batch {
                #expect(result.exitCode == 0 && result.outputCollected, "\(result)")
                if let node = result.node { seen.insert(node) }
            }
        }
        #expect(seen.contains(victim.2), "runs use the restarted \(victim.2) again: \(seen)")
        print("node kill and return in \(Int(Date().timeIntervalSince(clock))) s")

        // The launch daemon killed mid-run: restarted, it adopts the run, which completes.
        clock = Date()
        let adopted = try await startAndWait(socket, try arguments(scratch, "adopt", script: Self.hold), status: "holding")
        kill(daemon.processIdentifier, SIGKILL)
        try await waitForExit(daemon)
        unlink(socket)
        daemon = try launch(binary, config: config, log: log)
        daemons.append(daemon)
        try await waitForSocket(socket, process: daemon)
        try release(adopted)
        let adoptedResult = try await attachToExit(socket, "adopt")
        #expect(adoptedResult.exitCode == 0 && adoptedResult.outputCollected, "\(adoptedResult)")
        #expect(scratch.read("adopt/output/run/survived.txt") == "survived\n")
        print("daemon kill and adoption in \(Int(Date().timeIntervalSince(clock))) s")

        // Nothing of gssa's is left on any node.
        var left = "?"
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            left = try await Self.docker(
                node: 1, ["service", "ls", "-q", "--filter", "label=gssa.daemon=\(daemonID)"])
            if !left.isEmpty {
                // Which run it was, for the report.
                left = try await Self.docker(node: 1, ["service", "inspect", "--format",
                    #"service {{.Spec.Name}} of run {{index .Spec.Labels "gssa.guid"}}, created {{.CreatedAt}}"#]
                    + left.split(separator: "\n").map(String.init))
                left += "\n" + (try await Self.docker(node: 1, ["service", "ps", "--no-trunc", "--format", "{{.Name}} {{.Node}} {{.CurrentState}} {{.Error}}"]
                    + left.split(separator: "\n").compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) }))
            }
            for node in 1...3 {
                let containers = try await Self.docker(node: node, [
                    "ps", "-a", "--filter", "label=gssa.daemon=\(daemonID)", "--format", "{{.Names}} {{.Status}} {{.Labels}}",
                ])
                if !containers.isEmpty { left += "\nnode \(node): \(containers)" }
            }
            if left.isEmpty { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(left.isEmpty, "no gssa service or container left: \(left)\n\(scratch.read("daemon.log") ?? "")")
        kill(daemon.processIdentifier, SIGTERM)
        try await waitForExit(daemon)
    }
}

