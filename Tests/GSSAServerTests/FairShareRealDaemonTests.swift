import Foundation
import GSSA
import GSSAServer
import GSSATestSupport
import Testing
import NIOHTTP1

/// The schedulers on the real launch daemon and dockerd, with a capacity of 2 cores: the order
/// runs start in is read from outside, from the summaries' `queued` and `started` times.
/// Serialized and in the serial pass of scripts/test: the order depends on runs not ending
/// before the whole queue is in.
@Suite("Scheduling on the real daemon and dockerd", .serialized, .requiresDockerEngine, .requiresImages(RealDaemon.image),
       RealDaemon.requiresRunner)
struct FairShareRealDaemonTests {
    /// Alice queues 20 runs, then Bob 2, on 2 cores; `check` looks at the summaries (queue
    /// order: Alice's 20, then Bob's 2) until it returns true; then every run left is cancelled.
    static func queue(
        _ scheduler: any Scheduler, check: @escaping ([SimulationSummary]) -> Bool
    ) async throws -> [SimulationSummary] {
        try await RealDaemon.with { daemon in
            let scheduling = SchedulingConfiguration(scheduler: scheduler, hostCores: 2)
            return try await TestServer.withServer(launcher: daemon.launcher, data: daemon.data, scheduling: scheduling) { server in
                let xml = try TestServer.sleepDefinition(steps: 6, sleep: 0.5)
                var runs: [(guid: String, token: String)] = []
                for index in 0..<22 {
                    let token = index < 20 ? server.alice : server.bob
                    let guid = newGUID()
                    #expect(try await server.submit(guid: guid, xml: xml, token: token).status == .ok)
                    runs.append((guid, token))
                }
                for run in runs { #expect(try await server.start(guid: run.guid, token: run.token).status == .accepted) }
                var summaries: [SimulationSummary] = []
                let done = try await eventually(300) {
                    summaries = []
                    for run in runs { summaries.append(try await server.summary(run.guid, token: run.token)) }
                    return check(summaries)
                }
                #expect(done, "\(summaries.map { "\($0.owner) \($0.state.rawValue) started \($0.started?.description ?? "-")" })")
                // The queued ones first, from the back, so that no cancel frees cores for another start;
                // then the rest. Each run's supervision and clean-up is awaited, so that no container
                // outlives the test.
                for run in runs.reversed() where try await server.summary(run.guid, token: run.token).state == .queued {
                    _ = try await server.request(.POST, "/api/v1/simulations/\(run.guid)/cancel", token: run.token)
                }
                for run in runs where !(try await server.summary(run.guid, token: run.token).state.isTerminal) {
                    _ = try await server.request(.POST, "/api/v1/simulations/\(run.guid)/cancel", token: run.token)
                }
                for run in runs {
                    _ = try await server.waitTerminal(run.guid, token: run.token, seconds: 120)
                    let key = try await runKey(run.guid, in: server.store, owner: run.token == server.alice ? "alice" : "bob")
                    await server.manager.waitForTask(guid: key)
                    #expect(try await eventually(60) { (try? await daemon.launcher.state(guid: key)) != .running })
                }
                // Every queued time is known and in submission order.
                let queued = summaries.compactMap(\.queued)
                #expect(queued.count == 22 && queued == queued.sorted())
                return summaries
            }
        }
    }

    @Test("fairshare: when Alice has queued 20 runs and Bob then 2, Bob's first starts before Alice's third")
    func fairShare() async throws {
        let summaries = try await Self.queue(FairShareScheduler()) { $0[20].started != nil }
        let bob = try #require(summaries[20].started)
        if let aliceThird = summaries[2].started {
            #expect(bob < aliceThird, "Bob's first started \(bob), Alice's third \(aliceThird)")
        }
        #expect(summaries[0].started != nil && summaries[1].started != nil)
    }

    @Test("fifo: the same queue starts in queue order, Alice's runs before Bob's")
    func fifo() async throws {
        let summaries = try await Self.queue(FIFOScheduler()) { $0[4].started != nil }
        let started = summaries.prefix(5).compactMap(\.started)
        #expect(started.count == 5 && started == started.sorted(), "\(started)")
        let fifth = try #require(summaries[4].started)
        for bob in summaries[20...] {
            if let start = bob.started { #expect(start > fifth) }
        }
    }
}
