import ContainerEngine
import Foundation
import GSSACore
import GSSAWire
import LaunchClient
import LaunchDaemon
import LaunchProtocol
import Testing
import ContainerEngineTesting

/// The daemon's decisions against the in-memory engine.
@Suite("Launch daemon logic (in-memory engine)")
struct DaemonLogicTests {
    @Test func runRelaysStatusAndCollectsOutput() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = memoryEngine()
        try await withRunning(try memoryDaemon(engine, scratch: scratch)) { daemon in
            let client = Harness(daemon, uid: 1000)
            let args = try job(scratch, "run1", "status 10 Meshing\nsay hello\nstatus 50 Solving\nwrite result.txt 42\nstatus 100 Done")
            let reply = try await client.request(.start, args)
            #expect(reply.success, "\(reply.line)")
            let result = try await client.exit(of: "run1")
            #expect(result.exitCode == 0)
            #expect(result.outputCollected)
            #expect(result.imageID == "sha256:feed")
            let statuses = await client.events.compactMap { if case .status(_, let p, let m) = $0 { "\(p ?? -1) \(m)" } else { nil } }
            #expect(statuses == ["10.0 Meshing", "50.0 Solving", "100.0 Done"])
            #expect(scratch.read("run1/output/result.txt") == "42")
            #expect(ExitStatus.read(output: scratch.root.appendingPathComponent("run1/output")).errorCode == .success)
            #expect(engine.containerIDs.isEmpty, "collected containers are removed")
            await client.close()
        }
    }

    @Test func aFailedRemovalIsRetriedByTheReaperSoNoContainerLeaks() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = memoryEngine()
        try await withRunning(try memoryDaemon(engine, scratch: scratch)) { daemon in
            let client = Harness(daemon, uid: 1000)
            // The engine refuses removals (as while it restarts) when the run is collected.
            engine.faults.removeFails = true
            #expect(try await client.request(.start, try job(scratch, "kept", "write result.txt 1")).success)
            let result = try await client.exit(of: "kept")
            #expect(result.outputCollected)
            // The run's container and the image-user probe's: both removals failed, both are listed.
            #expect(engine.containerIDs.count == 2, "the removals failed")
            #expect(await daemon.registry.removalsToRetry.count == 2)
            #expect(await daemon.registry.removalsToRetry.values.contains("kept"))
            // Still failing: the reaper keeps them on its list.
            await daemon.reap()
            #expect(engine.containerIDs.count == 2)
            #expect(await daemon.registry.removalsToRetry.count == 2)
            // The engine is back: the next pass removes it and forgets the retry.
            engine.faults.removeFails = false
            await daemon.reap()
            #expect(engine.containerIDs.isEmpty)
            #expect(await daemon.registry.removalsToRetry.isEmpty)
            await client.close()
        }
    }

    @Test func containersCarryOwnershipAndAuthorLabels() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = memoryEngine()
        try await withRunning(try memoryDaemon(engine, scratch: scratch)) { daemon in
            let client = Harness(daemon, uid: 1234)
            var args = try job(scratch, "labelled", "hang")
            args.author = "alice"
            #expect(try await client.request(.start, args).success)
            let byAlice = try await engine.listContainers(labels: ["gssa.guid": "labelled"], all: true)
            #expect(byAlice.count == 1)
            #expect(byAlice.first?.labels["author"] == "alice")
            #expect(byAlice.first?.labels["gssa.owner"] == "1234")
            #expect(byAlice.first?.labels["org"] == "gssa")
            // A label value with control characters falls back to the daemon's configured author.
            var odd = try job(scratch, "odd", "hang")
            odd.author = "bob\nmallory"
            #expect(try await client.request(.start, odd).success)
            let fallback = try await engine.listContainers(labels: ["gssa.guid": "odd"], all: true)
            #expect(fallback.first?.labels["author"] == DaemonConfiguration(socket: "s", dataRoot: "/", allowedImages: [], runner: "r").author)
            for guid in ["labelled", "odd"] { _ = try await client.request(.destroy, RunArguments(guid: guid)) }
            await client.close()
        }
    }

    @Test func capRefusesExactlyTheRunAboveMax() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = memoryEngine()
        try await withRunning(try memoryDaemon(engine, scratch: scratch, maxContainers: 2)) { daemon in
            let client = Harness(daemon, uid: 1000)
            for index in 0..<2 {
                let ok = try await client.request(.start, try job(scratch, "hang\(index)", "hang"))
                #expect(ok.success, "\(ok.line)")
            }
            let refused = try await client.request(.start, try job(scratch, "hang2", "hang"))
            #expect(!refused.success)
            #expect(refused.line.contains("Too many containers (max: 2)"))
            let usage = try await client.request(.usage, RunArguments?.none)
            #expect(usage.line.contains("\"running\":2"))
            // Freeing a slot lets the next one in.
            let destroyed = try await client.request(.destroy, RunArguments(guid: "hang0"))
            #expect(destroyed.success && destroyed.line.contains("\"cancelled\":true"))
            let admitted = try await client.request(.start, try job(scratch, "hang3", "hang"))
            #expect(admitted.success, "\(admitted.line)")
            for guid in ["hang1", "hang3"] { _ = try await client.request(.destroy, RunArguments(guid: guid)) }
            await client.close()
        }
    }

    @Test func concurrentStartsNeverExceedTheCap() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = memoryEngine()
        try await withRunning(try memoryDaemon(engine, scratch: scratch, maxContainers: 3)) { daemon in
            let arguments = try (0..<10).map { try job(scratch, "c\($0)", "hang") }
            let successes = await withTaskGroup(of: Bool.self) { group in
                for args in arguments {
                    group.addTask {
                        let client = Harness(daemon, uid: 1000)
                        let reply = try? await client.request(.start, args)
                        return reply?.success ?? false
                    }
                }
                var count = 0
                for await ok in group where ok { count += 1 }
                return count
            }
            #expect(successes == 3)
            #expect(await daemon.registry.activeCount == 3)
            let running = try await engine.listContainers(labels: [:], all: false)
            #expect(running.count == 3)
            for container in running { try await engine.killContainer(container.id, signal: "KILL") }
        }
    }

    @Test func onlyTheCreatorMayActOnARun() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = memoryEngine()
        try await withRunning(try memoryDaemon(engine, scratch: scratch)) { daemon in
            let alice = Harness(daemon, uid: 1000)
            let bob = Harness(daemon, uid: 1001)
            #expect(try await alice.request(.start, try job(scratch, "alice-run", "hang")).success)
            let attempts: [(LaunchCommand, (success: Bool, line: String))] = [
                (.attach, try await bob.request(.attach, AttachArguments(guid: "alice-run"))),
                (.destroy, try await bob.request(.destroy, RunArguments(guid: "alice-run"))),
                (.wait, try await bob.request(.wait, WaitArguments(guid: "alice-run", timeout: 0))),
                (.logs, try await bob.request(.logs, LogsArguments(guid: "alice-run"))),
                (.container, try await bob.request(.container, RunArguments(guid: "alice-run"))),
                (.suspend, try await bob.request(.suspend, RunArguments(guid: "alice-run"))),
                (.resume, try await bob.request(.resume, RunArguments(guid: "alice-run"))),
            ]
            for (command, reply) in attempts {
                #expect(!reply.success, "\(command.rawValue) by another uid must fail")
                #expect(reply.line.contains("belongs to another user"))
            }
            // Bob's failed WAIT with timeout 0 must not have killed Alice's run.
            #expect(await daemon.registry.run("alice-run")?.state == .running)
            let container = try await alice.request(.container, RunArguments?.none)
            #expect(container.success && container.line.contains("\"state\":\"running\""))
            #expect(try await alice.request(.destroy, RunArguments?.none).success)
            await alice.close()
            await bob.close()
        }
    }

    @Test func walltimeKillsAndReportsTimeout() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = memoryEngine()
        try await withRunning(try memoryDaemon(engine, scratch: scratch)) { daemon in
            let client = Harness(daemon, uid: 7)
            #expect(try await client.request(.start, try job(scratch, "slow", "status 1 going\nhang", walltime: 0.3)).success)
            let result = try await client.exit(of: "slow")
            #expect(result.timedOut)
            #expect(result.exitCode == 137)
            #expect(!result.oomKilled)
            await client.close()
        }
    }

    @Test("SUSPEND stops the walltime clock: a run paused past its deadline is not killed; RESUME moves the deadline on")
    func suspendStopsTheWalltimeClock() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try await withRunning(try memoryDaemon(memoryEngine(), scratch: scratch)) { daemon in
            let client = Harness(daemon, uid: 7)
            // 8 s: the clock starts with the container, and a loaded machine can take seconds
            // between START's reply and SUSPEND (1 s was overrun in CI).
            #expect(try await client.request(.start, try job(scratch, "paused", "hang", walltime: 8)).success)
            let suspended = try await client.request(.suspend, RunArguments(guid: "paused"))
            #expect(suspended.success && suspended.line.contains("\"paused\":true"), "\(suspended.line)")
            #expect(try await client.request(.suspend, RunArguments(guid: "paused")).line.contains("suspended already"))
            let deadline = try #require(await daemon.registry.run("paused")?.deadline)
            // Paused past the deadline: the run is still there, not timed out.
            while Date() < deadline.addingTimeInterval(0.5) { try await Task.sleep(for: .milliseconds(50)) }
            let run = try #require(await daemon.registry.run("paused"))
            #expect(run.result == nil && !run.timedOut)
            let resumed = try await client.request(.resume, RunArguments(guid: "paused"))
            #expect(resumed.success && !resumed.line.contains("\"paused\":true"), "\(resumed.line)")
            let moved = try #require(await daemon.registry.run("paused")?.deadline)
            #expect(moved.timeIntervalSince(deadline) >= 0.5, "the deadline moved by the pause")
            #expect(try await client.request(.resume, RunArguments(guid: "paused")).line.contains("not suspended"))
            // The rest of its walltime then runs out as usual.
            let result = try await client.exit(of: "paused")
            #expect(result.timedOut && result.timedOutAfter == 8)
            await client.close()
        }
    }

    @Test func waitTimeoutKillsLikeTheOriginalDocumented() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try await withRunning(try memoryDaemon(memoryEngine(), scratch: scratch)) { daemon in
            let client = Harness(daemon, uid: 7)
            #expect(try await client.request(.start, try job(scratch, "w", "hang")).success)
            let waited = try await client.request(.wait, WaitArguments(timeout: 0.2))
            #expect(waited.success)
            #expect(waited.line.contains("\"timed_out\":true"))
            await client.close()
        }
    }

    @Test func oomIsReportedOnlyWithSigkill() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try await withRunning(try memoryDaemon(memoryEngine(), scratch: scratch)) { daemon in
            let client = Harness(daemon, uid: 7)
            #expect(try await client.request(.start, try job(scratch, "oom", "oom")).success)
            let result = try await client.exit(of: "oom")
            #expect(result.oomKilled && result.exitCode == 137)
            #expect(!RunOutcome.isOOM(flag: true, exitCode: 0), "the sticky flag alone is not an OOM")
            await client.close()
        }
    }

    /// dockerd can leave `OOMKilled` false (it handles the cgroup's OOM event apart from the exit);
    /// the runner's own verdict then decides, and exit_status carries the daemon's wording with
    /// the limit. A plain 137 without that verdict stays a plain kill.
    @Test(arguments: [("runner-oom", true), ("exit 137", false)])
    func theRunnersOOMVerdictDecidesWhenDockerdMissesIt(script: String, oom: Bool) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try await withRunning(try memoryDaemon(memoryEngine(), scratch: scratch)) { daemon in
            let client = Harness(daemon, uid: 7)
            var args = try job(scratch, "room", script)
            args.limits = ContainerLimits(memory: 32 << 20)
            #expect(try await client.request(.start, args).success)
            let result = try await client.exit(of: "room")
            #expect(result.exitCode == 137)
            #expect(result.oomKilled == oom, "\(result)")
            let status = ExitStatus.read(output: scratch.root.appendingPathComponent("room/output"))
            if oom {
                #expect(status.errorCode == .model && status.message == "out of memory (limit 32 MiB)", "\(status)")
            } else {
                #expect(!status.message.contains("out of memory"), "\(status)")
            }
            await client.close()
        }
    }

    @Test func refusalsNameTheProblem() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let outside = try Scratch()
        defer { outside.remove() }
        try await withRunning(try memoryDaemon(memoryEngine(), scratch: scratch)) { daemon in
            let client = Harness(daemon, uid: 7)
            var args = try job(scratch, "img", "exit 0")
            args.image = "evil/image:latest"
            #expect(try await client.request(.start, args).line.contains("not a whitelisted image"))

            args = try job(scratch, "out", "exit 0")
            args.input = try outside.directory("input").path
            #expect(try await client.request(.start, args).line.contains("outside the data root"))

            // A symlink under the root that points outside is resolved and refused.
            try FileManager.default.createSymbolicLink(
                atPath: scratch.root.appendingPathComponent("sneaky").path, withDestinationPath: outside.root.path)
            args = try job(scratch, "link", "exit 0")
            args.output = scratch.root.appendingPathComponent("sneaky/output").path
            #expect(try await client.request(.start, args).line.contains("outside the data root"))

            args = try job(scratch, "mem", "exit 0")
            args.limits = ContainerLimits(memory: 1 << 50)
            let tooMuch = try await client.request(.start, args).line
            #expect(tooMuch.contains("limits.memory") && tooMuch.contains("out of range"), "\(tooMuch)")

            #expect(try await client.request(.start, StartArguments(guid: "../x", image: "gssa/test", input: "/", output: "/"))
                .line.contains("guid must be"))
            let unknown = try await client.request(LaunchCommand.usage, RunArguments?.none)
            #expect(unknown.success)
            await client.feed("{\"command\":\"FLY\"}\n")
            #expect(try await client.reply().line.contains("Unknown command: FLY"))
            await client.feed("not json\n")
            #expect(try await client.reply().line.contains("Invalid request"))
            await client.feed(String(repeating: "z", count: 10_000) + "\n")
            #expect(try await client.reply().line.contains("Frame too large"))
            #expect(try await client.request(.usage, RunArguments?.none).success, "the connection survives")
            await client.close()
        }
    }

    @Test func oversizedInputIsRefusedBeforeAnyContainerExists() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = memoryEngine()
        try await withRunning(try memoryDaemon(engine, scratch: scratch, maxInputBytes: 64)) { daemon in
            let client = Harness(daemon, uid: 7)
            try scratch.write(String(repeating: "x", count: 100), to: "big/input/data.bin")
            let reply = try await client.request(.start, try job(scratch, "big", "exit 0"))
            #expect(!reply.success && reply.line.contains("max_input_bytes"))
            #expect(engine.containerIDs.isEmpty)
            #expect(await daemon.registry.activeCount == 0)
            await client.close()
        }
    }

    @Test func failedStartReleasesTheSlotAndTheContainer() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = memoryEngine()
        try await withRunning(try memoryDaemon(engine, scratch: scratch, maxContainers: 1)) { daemon in
            let client = Harness(daemon, uid: 7)
            engine.faults.startFails = true
            let failed = try await client.request(.start, try job(scratch, "f1", "exit 0"))
            #expect(!failed.success && failed.line.contains("injected: start failed"))
            #expect(engine.containerIDs.isEmpty)
            #expect(await daemon.registry.activeCount == 0)
            engine.faults = .init()
            engine.faults.putArchiveFails = true
            #expect(!(try await client.request(.start, try job(scratch, "f2", "exit 0")).success))
            #expect(engine.containerIDs.isEmpty)
            engine.faults = .init()
            #expect(try await client.request(.start, try job(scratch, "f3", "exit 0")).success)
            #expect(try await client.exit(of: "f3").exitCode == 0)
            await client.close()
        }
    }

    @Test func killOfAVanishedContainerStillSettlesTheRun() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = memoryEngine()
        try await withRunning(try memoryDaemon(engine, scratch: scratch)) { daemon in
            let client = Harness(daemon, uid: 7)
            // Long enough that DESTROY always lands while the run is live, even on a loaded machine.
            #expect(try await client.request(.start, try job(scratch, "v", "sleep 30")).success)
            engine.faults.killSaysNoSuchContainer = true
            let destroyed = try await client.request(.destroy, RunArguments?.none)
            #expect(destroyed.success, "\(destroyed.line)")
            #expect(destroyed.line.contains("\"cancelled\":true"))
            await client.close()
        }
    }

    @Test func reconcileAdoptsKeepsAndPrunes() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = memoryEngine()
        try await withRunning(try memoryDaemon(engine, scratch: scratch, orphanTTL: 3600, daemonID: "d1")) { first in
            let client = Harness(first, uid: 42)
            let releaseLong = scratch.root.appendingPathComponent("release-long").path
            let releaseQuick = scratch.root.appendingPathComponent("release-quick").path
            #expect(try await client.request(.start, try job(scratch, "long", "status 5 begun\nawait \(releaseLong)\nwrite done.txt yes")).success)
            #expect(try await client.request(.start, try job(scratch, "quick", "await \(releaseQuick)\nwrite early.txt yes")).success)
            // A container of another daemon on the same engine, and a half-made one of ours.
            let foreign = try await engine.createContainer(
                ContainerSpec(image: "gssa/test", command: ["x"], labels: [LaunchDaemon.Label.daemon: "other"]), name: nil)
            let halfMade = try await engine.createContainer(
                ContainerSpec(image: "gssa/test", command: ["x"], labels: [LaunchDaemon.Label.daemon: "d1", LaunchDaemon.Label.guid: "h", LaunchDaemon.Label.owner: "42", LaunchDaemon.Label.output: scratch.root.path]), name: nil)
            // The daemon "crashes": supervision stops, containers live on; "quick" exits meanwhile.
            await first.stopSupervising()
            await client.close()
            FileManager.default.createFile(atPath: releaseQuick, contents: nil)
            let quickID = try #require(await first.registry.run("quick")?.containerID)
            try await withTimeout(60, "the container to exit") {
                while try await engine.inspectContainer(quickID)?.status != .exited { try await Task.sleep(for: .milliseconds(5)) }
            }

            try await withRunning(try memoryDaemon(engine, scratch: scratch, orphanTTL: 3600, daemonID: "d1")) { second in
                try await second.reconcile()
                #expect(await second.registry.run("long")?.state == .running)
                #expect(await second.registry.run("quick")?.state == .exited)
                #expect(!engine.containerIDs.contains(halfMade))
                #expect(engine.containerIDs.contains(foreign))

                let owner = Harness(second, uid: 42)
                let stranger = Harness(second, uid: 43)
                #expect(!(try await stranger.request(.attach, AttachArguments(guid: "long")).success))
                #expect(try await owner.request(.attach, AttachArguments(guid: "long")).success)
                FileManager.default.createFile(atPath: releaseLong, contents: nil)
                let long = try await owner.exit(of: "long")
                #expect(long.exitCode == 0 && long.outputCollected)
                #expect(await owner.events.contains(.status(guid: "long", percentage: 5, message: "begun")))
                #expect(scratch.read("long/output/done.txt") == "yes")
                #expect(try await owner.request(.attach, AttachArguments(guid: "quick")).success)
                #expect(try await owner.exit(of: "quick").outputCollected)
                #expect(scratch.read("quick/output/early.txt") == "yes")
                #expect(engine.containerIDs == [foreign], "no orphans of ours remain")
                await owner.close()
                await stranger.close()
            }
        }
    }

    @Test func reaperPrunesUncollectedRunsAfterTheTTL() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = memoryEngine()
        try await withRunning(try memoryDaemon(engine, scratch: scratch, daemonID: "d2")) { first in
            let client = Harness(first, uid: 1)
            let release = scratch.root.appendingPathComponent("release").path
            #expect(try await client.request(.start, try job(scratch, "left", "await \(release)")).success)
            await first.stopSupervising()
            await client.close()
            FileManager.default.createFile(atPath: release, contents: nil)
            let id = try #require(await first.registry.run("left")?.containerID)
            try await withTimeout(60, "the container to exit") {
                while try await engine.inspectContainer(id)?.status != .exited { try await Task.sleep(for: .milliseconds(5)) }
            }
            // A TTL far longer than any stall of a loaded machine between the exit and the reconcile.
            try await withRunning(try memoryDaemon(engine, scratch: scratch, orphanTTL: 3600, daemonID: "d2")) { second in
                try await second.reconcile()
                #expect(await second.registry.run("left")?.state == .exited)
                await second.reap(now: Date().addingTimeInterval(1800))
                #expect(engine.containerIDs.count == 1, "kept within the TTL")
                await second.reap(now: Date().addingTimeInterval(3601))
                #expect(engine.containerIDs.isEmpty)
                #expect(await second.registry.run("left") == nil)
            }
        }
    }
}
