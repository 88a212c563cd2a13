import Foundation
import GSSA
import GSSAServer
import GSSAServerTesting
import LaunchProtocol
import Testing

/// Restart recovery and the persistent queue, against the SQLite store and the in-memory launcher.
@Suite("Restart recovery (in-memory launcher)")
struct RecoveryTests {
    @Test("after a restart: a running run is re-attached, a vanished one fails E_SERVER, queued ones keep their order")
    func restart() async throws {
        let launcher = InMemoryLauncher(capacity: 1) { _ in InMemoryLauncher.Script(hold: true) }
        let xml = try TestServer.sleepDefinition(steps: 1, sleep: 0)
        let running = newGUID(), queuedA = newGUID(), queuedB = newGUID()
        let lost = newGUID()
        // The first server is stopped (and awaited) when its scope ends, as a restart.
        let (data, users) = try await TestServer.withServer(launcher: launcher) { first in
            for guid in [running, queuedA, queuedB] { try await first.submit(guid: guid, xml: xml, token: first.alice) }
            for guid in [running, queuedA, queuedB] { _ = try await first.start(guid: guid, token: first.alice) }
            var waited = 0
            while try await first.summary(running, token: first.alice).state != .running, waited < 100 {
                try await Task.sleep(for: .milliseconds(50))
                waited += 1
            }
            // A run the daemon never heard of, left "running" in the store.
            try await first.submit(guid: lost, xml: xml, token: first.alice)
            try await first.store.update(guid: try await runKey(lost, in: first.store)) {
                $0.state = .running
                $0.containerID = "gone"
            }
            return (first.data, (first.alice, first.bob, first.admin))
        }

        // The launcher still holds `running`; the new server must adopt it, not fail it.
        try await TestServer.withServer(launcher: launcher, data: data, users: users) { second in
            let lostSummary = try await second.waitTerminal(lost, token: second.alice)
            #expect(lostSummary.state == .failed)
            #expect(lostSummary.exitStatus?.code == .server)
            #expect(lostSummary.exitStatus?.message == "lost during server restart")
            let adopted = try await second.waitTerminal(running, token: second.alice)
            #expect(adopted.state == .succeeded)
            // The adopted container ends: its slot frees. The queue survived: A then B, each launched once.
            await launcher.release(guid: try await runKey(running, in: second.store))
            // Release the queued runs as they reach a container (a release before that is a no-op).
            var spins = 0
            while spins < 400 {
                let a = try await second.summary(queuedA, token: second.alice).state
                let b = try await second.summary(queuedB, token: second.alice).state
                if a.isTerminal && b.isTerminal { break }
                await launcher.release(guid: try await runKey(queuedA, in: second.store))
                await launcher.release(guid: try await runKey(queuedB, in: second.store))
                try await Task.sleep(for: .milliseconds(50))
                spins += 1
            }
            for guid in [queuedA, queuedB] {
                #expect(try await second.summary(guid, token: second.alice).state == .succeeded)
            }
            var keys: [String] = []
            for guid in [running, queuedA, queuedB] { keys.append(try await runKey(guid, in: second.store)) }
            #expect(await launcher.launched.map(\.guid) == keys)
        }
    }

    @Test("status updates are persisted rate-limited, and the last one always lands")
    func rateLimitedStatus() async throws {
        let statuses = (0..<200).map { (Double($0) / 2, "step \($0)") }
        let launcher = InMemoryLauncher { _ in InMemoryLauncher.Script(statuses: statuses) }
        try await TestServer.withServer(launcher: launcher) { server in
            let guid = newGUID()
            try await server.submit(guid: guid, xml: try TestServer.sleepDefinition(steps: 1, sleep: 0), token: server.alice)
            let recorder = await EventRecorder.connect(base: server.base, token: server.alice, until: guid)
            _ = try await server.start(guid: guid, token: server.alice)
            let events = try await recorder.finish()
            #expect(events.filter { $0.guid == guid.uppercased() && $0.status?.message.hasPrefix("step") == true }.count == 200)
            let stored = try await server.store.events(guid: try await runKey(guid, in: server.store)).filter { $0.kind == "status" }
            #expect(stored.count < 200)
            #expect(!stored.isEmpty)
        }
    }
}

/// A launcher whose daemon is shared: `USAGE` says a slot is free, but someone else takes it
/// first, so the first STARTs are refused with "Too many containers".
actor ContendedLauncher: SimulationLauncher {
    let inner = InMemoryLauncher()
    var refusals: Int
    private(set) var refused = 0

    init(refusals: Int) { self.refusals = refusals }

    func run(_ specification: LaunchSpecification, observer: LaunchObserver) async throws -> RunResult {
        if refusals > 0 {
            refusals -= 1
            refused += 1
            throw LauncherAtCapacity(message: "Too many containers (max: 1)")
        }
        return try await inner.run(specification, observer: observer)
    }
    func attach(guid: String, observer: LaunchObserver) async throws -> RunResult { try await inner.attach(guid: guid, observer: observer) }
    func state(guid: String) async throws -> LauncherRunState { await inner.state(guid: guid) }
    func cancel(guid: String) async throws { try await inner.cancel(guid: guid) }
    func logs(guid: String) async throws -> LogsReply { try await inner.logs(guid: guid) }
    func usage() async throws -> UsageReply { await inner.usage() }
}

@Suite("Queue under contention")
struct ContentionTests {
    @Test("a START refused for capacity puts the run back in the queue; it starts later and never fails for it")
    func refusedStartIsRequeued() async throws {
        let launcher = ContendedLauncher(refusals: 3)
        try await TestServer.withServer(launcher: launcher) { server in
            let guid = newGUID()
            try await server.submit(guid: guid, xml: try TestServer.sleepDefinition(steps: 1, sleep: 0), token: server.alice)
            let recorder = await EventRecorder.connect(base: server.base, token: server.alice, until: guid)
            _ = try await server.start(guid: guid, token: server.alice)
            let events = try await recorder.finish()
            #expect(events.last?.type == .complete)
            #expect(await launcher.refused == 3)
            #expect(!events.contains { $0.status?.message.contains("Too many containers") == true })
            #expect(try await server.summary(guid, token: server.alice).state == .succeeded)
        }
    }
}
