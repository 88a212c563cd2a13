import Foundation
import GSSA
import GSSAServer
import GSSAServerTesting
import LaunchProtocol
import Testing
import NIOHTTP1

/// A launcher that fails the way a daemon connection does: unreachable while `down`, and a
/// scripted drop of the first run's connection (before or after the START's answer).
actor FaultyLauncher: SimulationLauncher {
    enum Drop { case none, beforeAnswer, afterAnswer }

    let inner: InMemoryLauncher
    var down = false
    var drop: Drop
    /// What ATTACH answers for a run the inner launcher never saw.
    var forgets = false
    private(set) var attaches = 0
    private(set) var runs = 0

    init(drop: Drop = .none, capacity: Int = 30) {
        self.drop = drop
        inner = InMemoryLauncher(capacity: capacity)
    }

    func setDown(_ value: Bool) { down = value }
    func setForgets(_ value: Bool) { forgets = value }

    private func reachable() throws {
        if down { throw LauncherUnavailable(reason: "cannot connect to the launch daemon: Connection refused") }
    }

    func run(_ specification: LaunchSpecification, observer: LaunchObserver) async throws -> RunResult {
        try reachable()
        runs += 1
        switch drop {
        case .none:
            return try await inner.run(specification, observer: observer)
        case .beforeAnswer:
            drop = .none
            down = true
            throw LauncherDisconnected(reason: "the launch daemon closed the connection", started: false)
        case .afterAnswer:
            drop = .none
            down = true
            // The run goes on in the "daemon"; the connection breaks after its answer.
            _ = try await inner.run(specification, observer: LaunchObserver(started: { _, _ in }, status: { _, _ in }))
            await observer.started("memory-\(specification.guid)", "sha256:in-memory")
            throw LauncherDisconnected(reason: "the launch daemon closed the connection before the run finished", started: true)
        }
    }

    func attach(guid: String, observer: LaunchObserver) async throws -> RunResult {
        try reachable()
        attaches += 1
        if forgets { throw GSSAError.client("No such run: \(guid)") }
        return try await inner.attach(guid: guid, observer: observer)
    }

    func state(guid: String) async throws -> LauncherRunState {
        try reachable()
        return await inner.state(guid: guid)
    }

    func cancel(guid: String) async throws {
        try reachable()
        try await inner.cancel(guid: guid)
    }

    func logs(guid: String) async throws -> LogsReply {
        try reachable()
        return try await inner.logs(guid: guid)
    }

    func usage() async throws -> UsageReply {
        try reachable()
        return await inner.usage()
    }
}

/// The server's side of daemon faults, with a scripted launcher (fast and exact); the same
/// faults against the real daemon process are in ``FaultToleranceTests``.
@Suite("Launcher faults (scripted launcher)")
struct LauncherFaultTests {
    static func definition() throws -> String { try TestServer.sleepDefinition(steps: 1, sleep: 0) }

    @Test("a daemon that does not answer: runs stay queued and say why, then start when it is back")
    func queuedWhileDown() async throws {
        let launcher = FaultyLauncher()
        await launcher.setDown(true)
        try await TestServer.withServer(launcher: launcher) { server in
            let guids = [newGUID(), newGUID()]
            for guid in guids {
                try await server.submit(guid: guid, xml: try Self.definition(), token: server.alice)
                _ = try await server.start(guid: guid, token: server.alice)
            }
            let waiting = try await eventually(10) {
                var count = 0
                for guid in guids {
                    let summary = try await server.summary(guid, token: server.alice)
                    if summary.state == .queued, summary.status.message?.contains("waiting for the launch daemon") == true { count += 1 }
                }
                return count == guids.count
            }
            #expect(waiting)
            await launcher.setDown(false)
            for guid in guids {
                let summary = try await server.waitTerminal(guid, token: server.alice, seconds: 30)
                #expect(summary.state == .succeeded, "\(String(describing: summary.exitStatus))")
            }
        }
    }

    @Test("the connection drops after the START's answer: the run is re-attached by GUID and succeeds")
    func reattachAfterDrop() async throws {
        let launcher = FaultyLauncher(drop: .afterAnswer)
        try await TestServer.withServer(launcher: launcher) { server in
            let guid = newGUID()
            try await server.submit(guid: guid, xml: try Self.definition(), token: server.alice)
            let recorder = await EventRecorder.connect(base: server.base, token: server.alice, until: guid)
            _ = try await server.start(guid: guid, token: server.alice)
            let waited = await eventually(10) {
                await recorder.events.contains { $0.guid == guid.uppercased() && $0.status?.message.hasPrefix("Waiting for the launch daemon") == true }
            }
            #expect(waited)
            #expect(try await server.summary(guid, token: server.alice).state == .running)
            await launcher.setDown(false)
            let summary = try await server.waitTerminal(guid, token: server.alice, seconds: 30)
            #expect(summary.state == .succeeded, "\(String(describing: summary.exitStatus))")
            #expect(await launcher.attaches >= 1)
            #expect(await launcher.runs == 1)
            _ = try await recorder.finish(seconds: 10)
        }
    }

    @Test("the connection drops before the START's answer and the daemon never heard of it: re-queued, then run once")
    func requeueWhenStartWasLost() async throws {
        let launcher = FaultyLauncher(drop: .beforeAnswer)
        try await TestServer.withServer(launcher: launcher) { server in
            let guid = newGUID()
            try await server.submit(guid: guid, xml: try Self.definition(), token: server.alice)
            await launcher.setForgets(true)
            _ = try await server.start(guid: guid, token: server.alice)
            let attempted = try await eventually(10) {
                let runs = await launcher.runs
                let state = try await server.summary(guid, token: server.alice).state
                return runs == 1 && state != .queued
            }
            #expect(attempted)
            await launcher.setDown(false)
            #expect(await eventually(10) { await launcher.attaches >= 1 })
            await launcher.setForgets(false)
            let summary = try await server.waitTerminal(guid, token: server.alice, seconds: 30)
            #expect(summary.state == .succeeded, "\(String(describing: summary.exitStatus))")
            #expect(await launcher.runs == 2)
        }
    }

    @Test("the daemon answers that it does not know a started run: E_SERVER with the reason, nothing hangs")
    func lostRun() async throws {
        let launcher = FaultyLauncher(drop: .afterAnswer)
        try await TestServer.withServer(launcher: launcher) { server in
            let guid = newGUID()
            try await server.submit(guid: guid, xml: try Self.definition(), token: server.alice)
            _ = try await server.start(guid: guid, token: server.alice)
            #expect(await eventually(10) { await launcher.runs == 1 })
            await launcher.setForgets(true)
            await launcher.setDown(false)
            let summary = try await server.waitTerminal(guid, token: server.alice, seconds: 30)
            #expect(summary.state == .failed)
            #expect(summary.exitStatus?.code == .server)
            #expect(summary.exitStatus?.message == "lost: the launch daemon no longer knows this run")
        }
    }

    @Test("cancel while the daemon is away: E_CANCELLED at once; the DESTROY goes out when it is back")
    func cancelWhileDown() async throws {
        let launcher = FaultyLauncher(drop: .afterAnswer)
        try await TestServer.withServer(launcher: launcher) { server in
            let guid = newGUID()
            try await server.submit(guid: guid, xml: try Self.definition(), token: server.alice)
            _ = try await server.start(guid: guid, token: server.alice)
            let running = try await eventually(10) { try await server.summary(guid, token: server.alice).state == .running }
            #expect(running)
            let began = ContinuousClock.now
            let reply = try await server.request(.POST, "/api/v1/simulations/\(guid)/cancel", token: server.alice)
            #expect(reply.status == .ok)
            let summary = try await server.waitTerminal(guid, token: server.alice, seconds: 5)
            #expect(ContinuousClock.now - began < .seconds(5))
            #expect(summary.state == .cancelled && summary.exitStatus?.code == .cancelled)
            await launcher.setDown(false)
            await server.manager.waitForTask(guid: guid)
            #expect(try await server.summary(guid, token: server.alice).state == .cancelled)
        }
    }
}
