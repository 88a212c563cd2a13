import Foundation
import GSSA
import GSSAServer
import GSSAServerTesting
import Testing
import NIOHTTP1

/// Following runs from the command line (issue 11 item 8): `launch --wait` in a pipe,
/// `gssa wait`, `gssa logs` and `logs -f`, against a real server on loopback.
@Suite("gssa wait, logs -f and launch --wait in a pipe")
struct FollowCommandTests {
    static let longMessage = "1500 V between needles 1 and 2, then 1200 V between needles 2 and 3, each pulse train 90 pulses of 100 us"

    /// Waits (bounded) until the run is running, observed through the API.
    static func waitRunning(_ server: TestServer, _ guid: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if try await server.summary(guid, token: server.alice).state == .running { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("\(guid) never reached running")
    }

    @Test("launch --wait into files: GUID first, plain lines, whole status messages")
    func plainWait() async throws {
        let launcher = InMemoryLauncher { _ in InMemoryLauncher.Script(statuses: [(40, Self.longMessage), (100, "Done")]) }
        try await TestServer.withServer(launcher: launcher) { server in
            let demo = TestServer.fixtures.appendingPathComponent("demo.xml").path
            let stl = TestServer.fixtures.appendingPathComponent("tumour.stl").path
            let guid = newGUID()
            let launch = try await ClientCommandTests.gssa(["launch", demo, "-i", stl, "--guid", guid, "--wait"], token: server.alice, server: server.base)
            #expect(launch.status == 0, "\(launch.stderr)")
            #expect(launch.stdout.split(separator: "\n").first.map(String.init) == guid)
            #expect(!launch.stderr.contains("\r") && !launch.stderr.contains("\u{1B}"), "\(launch.stderr.debugDescription)")
            #expect(launch.stderr.contains(Self.longMessage), "\(launch.stderr)")
            #expect(launch.stderr.split(separator: "\n").last == "SUCCESS: Success" || launch.stderr.contains("SUCCESS"))
        }
    }

    @Test("gssa wait: exit status is the run's class (0 success, 4 E_MODEL, 6 E_CANCELLED)")
    func waitExitStatus() async throws {
        let launcher = InMemoryLauncher { specification in
            let guidFile = specification.input.deletingLastPathComponent().appendingPathComponent("guid")
            let failing = (try? String(contentsOf: guidFile, encoding: .utf8))?.hasPrefix("F") == true
            return failing ? InMemoryLauncher.Script(exitCode: 4, exitStatus: "E_MODEL\nthe model diverged") : InMemoryLauncher.Script(hold: true)
        }
        try await TestServer.withServer(launcher: launcher) { server in
            let sleep = scratchDirectory("defs").appendingPathComponent("sleep.xml")
            try TestServer.sleepDefinition(steps: 1, sleep: 0).write(to: sleep, atomically: true, encoding: .utf8)

            // Held, then released while `wait` follows it: 0.
            let released = "A" + newGUID().dropFirst()
            #expect(try await ClientCommandTests.gssa(["launch", sleep.path, "--guid", released], token: server.alice, server: server.base).status == 0)
            try await Self.waitRunning(server, released)
            async let waited = ClientCommandTests.gssa(["wait", String(released.prefix(10))], token: server.alice, server: server.base)
            let key = try await runKey(released, in: server.store)
            await launcher.release(guid: key)
            let success = try await waited
            #expect(success.status == 0, "\(success.stderr)")
            #expect(success.stdout == "\(released) SUCCESS\n")

            // Cancelled while `wait` follows it: 6.
            let cancelled = "B" + newGUID().dropFirst()
            #expect(try await ClientCommandTests.gssa(["launch", sleep.path, "--guid", cancelled], token: server.alice, server: server.base).status == 0)
            try await Self.waitRunning(server, cancelled)
            async let waitedCancel = ClientCommandTests.gssa(["wait", cancelled], token: server.alice, server: server.base)
            #expect(try await server.request(.POST, "/api/v1/simulations/\(cancelled)/cancel", token: server.alice).status == .ok)
            let cancel = try await waitedCancel
            #expect(cancel.status == 6, "\(cancel.stderr)")

            // Already failed: 4 at once, with the message.
            let failing = "F" + newGUID().dropFirst()
            _ = try await ClientCommandTests.gssa(["launch", sleep.path, "--guid", failing, "--wait"], token: server.alice, server: server.base)
            let failed = try await ClientCommandTests.gssa(["wait", failing], token: server.alice, server: server.base)
            #expect(failed.status == 4, "\(failed.stderr)")
            #expect(failed.stderr.contains("E_MODEL: the model diverged"))
        }
    }

    @Test("gssa logs shows both streams, labelled; logs -f follows until the run ends")
    func logs() async throws {
        let launcher = InMemoryLauncher { _ in InMemoryLauncher.Script(hold: true) }
        try await TestServer.withServer(launcher: launcher) { server in
            let sleep = scratchDirectory("defs").appendingPathComponent("sleep.xml")
            try TestServer.sleepDefinition(steps: 1, sleep: 0).write(to: sleep, atomically: true, encoding: .utf8)
            let guid = newGUID()
            #expect(try await ClientCommandTests.gssa(["launch", sleep.path, "--guid", guid], token: server.alice, server: server.base).status == 0)
            try await Self.waitRunning(server, guid)

            async let followed = ClientCommandTests.gssa(["logs", "-f", guid, "--interval", "0.1"], token: server.alice, server: server.base)
            await launcher.release(guid: try await runKey(guid, in: server.store))
            let follow = try await followed
            #expect(follow.status == 0, "\(follow.stderr)")
            #expect(follow.stdout.contains("stdout| in-memory stdout\n"), "\(follow.stdout)")
            #expect(follow.stdout.contains("stderr| in-memory stderr\n"), "\(follow.stdout)")

            let both = try await ClientCommandTests.gssa(["logs", guid], token: server.alice, server: server.base)
            #expect(both.status == 0, "\(both.stderr)")
            #expect(both.stdout == "==> stdout <==\nin-memory stdout\n==> stderr <==\nin-memory stderr\n", "\(both.stdout)")
            let onlyOut = try await ClientCommandTests.gssa(["logs", guid, "--stdout"], token: server.alice, server: server.base)
            #expect(onlyOut.stdout == "in-memory stdout\n")
        }
    }

    @Test("no event stream in time: wait says so and follows the status to the end (bounded, no hang)")
    func fallbackToPolling() async throws {
        let launcher = InMemoryLauncher { _ in InMemoryLauncher.Script(hold: true) }
        try await TestServer.withServer(launcher: launcher) { server in
            let sleep = scratchDirectory("defs").appendingPathComponent("sleep.xml")
            try TestServer.sleepDefinition(steps: 1, sleep: 0).write(to: sleep, atomically: true, encoding: .utf8)
            let guid = newGUID()
            #expect(try await ClientCommandTests.gssa(["launch", sleep.path, "--guid", guid], token: server.alice, server: server.base).status == 0)
            try await Self.waitRunning(server, guid)
            // 1 ms: the stream cannot be ready, so the status is polled. The run is released only
            // once `wait` says it follows the status (read from its stderr file while it runs).
            let process = Process()
            process.executableURL = ServerProcess.executable
            process.arguments = ["wait", guid, "--events-timeout", "0.001"]
            var environment = ProcessInfo.processInfo.environment
            environment["GSSA_SERVER"] = server.base
            environment["GSSA_TOKEN"] = server.alice
            environment["GSSA_CONFIG"] = "/nonexistent"
            process.environment = environment
            let directory = scratchDirectory("fallback")
            let outURL = directory.appendingPathComponent("out"), errURL = directory.appendingPathComponent("err")
            FileManager.default.createFile(atPath: outURL.path, contents: nil)
            FileManager.default.createFile(atPath: errURL.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: outURL)
            process.standardError = try FileHandle(forWritingTo: errURL)
            try process.run()
            defer { if process.isRunning { process.terminate() } }
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline, process.isRunning,
                !(try String(contentsOf: errURL, encoding: .utf8)).contains("following the status")
            {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(process.isRunning, "wait ended before the run did")
            await launcher.release(guid: try await runKey(guid, in: server.store))
            while ContinuousClock.now < deadline, process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
            #expect(!process.isRunning, "wait did not end with the run")
            let result = ClientCommandTests.Result(
                status: process.isRunning ? -1 : process.terminationStatus, stdout: try String(contentsOf: outURL, encoding: .utf8),
                stderr: try String(contentsOf: errURL, encoding: .utf8))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("following the status"), "\(result.stderr)")
            #expect(result.stdout == "\(guid) SUCCESS\n")
        }
    }
}
