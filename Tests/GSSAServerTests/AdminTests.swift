import ContainerEngine
import Foundation
import GSSA
import GSSAServer
import GSSAServerTesting
import GSSATestSupport
import Testing
import NIOHTTP1

/// Every file under `root`, by relative path, with its contents.
private func tree(_ root: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return [:] }
    for case let url as URL in walker where try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true {
        files[String(url.path.dropFirst(root.path.count))] = try Data(contentsOf: url)
    }
    return files
}

@Suite("Admin: archive, restore, prune")
struct AdminTests {
    @Test("archive then restore a user: records, events, directories and bundles come back intact; the token is revoked meanwhile")
    func archiveRoundTrip() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let guids = ["KEEP-1", "KEEP-2"]
            for guid in guids {
                try await server.submit(guid: guid, xml: arrayDefinition("pass"), token: server.alice)
                #expect(try await server.start(guid: guid, token: server.alice).status == .accepted)
                #expect(try await server.waitTerminal(guid, token: server.alice, seconds: 60).state == .succeeded)
                #expect(try await server.request(.GET, "/api/v1/simulations/\(guid)/results", token: server.alice).status == .ok)
            }
            try await server.submit(guid: "BOBS", xml: arrayDefinition("pass"), token: server.bob)
            let store = try #require(server.store as? SQLiteSimulationStore)
            let before = try await store.search(prefix: "", owner: "alice", limit: nil).sorted { $0.guid < $1.guid }
            var events: [[StoredEvent]] = []
            var files: [[String: Data]] = []
            for run in before {
                events.append(try await store.events(guid: run.guid).map { var e = $0; e.id = nil; return e })
                files.append(try tree(URL(fileURLWithPath: run.directory)))
            }
            #expect(files.allSatisfy { $0["/results_archive.tgz"] != nil })

            let archive = scratchDirectory("archive").appendingPathComponent("alice.tar.gz")
            let archived = try await RunArchive.archive(user: "alice", to: archive, store: store, data: server.data)
            #expect(archived == guids)
            #expect(try await store.search(prefix: "", owner: "alice", limit: nil).isEmpty)
            #expect(before.allSatisfy { !FileManager.default.fileExists(atPath: $0.directory) })
            // Tokens are cached for up to two seconds: the revocation shows within a bounded wait.
            let revoked = ContinuousClock.now + .seconds(60)
            while try await server.request(.GET, "/api/v1/simulations", token: server.alice).status != .unauthorized,
                ContinuousClock.now < revoked
            {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try await server.request(.GET, "/api/v1/simulations", token: server.alice).status == .unauthorized)
            #expect(try await server.summary("BOBS", token: server.bob).state == .finalized, "other users are untouched")
            await #expect(throws: GSSAError.self) {
                try await RunArchive.archive(user: "alice", to: archive, store: store, data: server.data)
            }

            let restored = try await RunArchive.restore(
                from: archive, store: store, data: server.data,
                limits: ArchiveLimits(maximumEntries: 10_000, maximumExpandedBytes: 1 << 30))
            #expect(restored == guids)
            let after = try await store.search(prefix: "", owner: "alice", limit: nil).sorted { $0.guid < $1.guid }
            #expect(after == before)
            for (index, run) in after.enumerated() {
                #expect(try await store.events(guid: run.guid).map { var e = $0; e.id = nil; return e } == events[index])
                #expect(try tree(URL(fileURLWithPath: run.directory)) == files[index])
            }
            #expect(try await server.summary("KEEP-1", token: server.alice).state == .succeeded, "the old token works again")
            // A second restore would duplicate: refused, nothing changed.
            await #expect(throws: GSSAError.self) {
                try await RunArchive.restore(from: archive, store: store, data: server.data,
                                             limits: ArchiveLimits(maximumEntries: 10_000, maximumExpandedBytes: 1 << 30))
            }
        }
    }

    @Test("prune removes old ended runs (of the states asked) and never active ones")
    func prune() async throws {
        let launcher = InMemoryLauncher { _ in InMemoryLauncher.Script(hold: true) }
        try await TestServer.withServer(launcher: launcher) { server in
            for guid in ["OLD-OK", "HELD"] {
                try await server.submit(guid: guid, xml: arrayDefinition("pass"), token: server.alice)
            }
            let cancel = try await server.request(.POST, "/api/v1/simulations/OLD-OK/cancel", token: server.alice)
            #expect(cancel.status == .ok)
            #expect(try await server.start(guid: "HELD", token: server.alice).status == .accepted)
            let future = Date().addingTimeInterval(3600)
            #expect(try await RunPruner.prune(olderThan: 7200, states: nil, store: server.store, now: future).isEmpty, "not old enough")
            #expect(try await RunPruner.prune(olderThan: 60, states: [.succeeded], store: server.store, now: future).isEmpty)
            await #expect(throws: GSSAError.self) {
                try await RunPruner.prune(olderThan: 60, states: [.running], store: server.store, now: future)
            }
            let directory = try await server.summary("OLD-OK", token: server.alice).directory
            #expect(try await RunPruner.prune(olderThan: 60, states: nil, store: server.store, now: future) == ["OLD-OK"])
            #expect(!FileManager.default.fileExists(atPath: directory))
            #expect(try await server.request(.GET, "/api/v1/simulations/OLD-OK", token: server.alice).status == .notFound)
            #expect(try await server.summary("HELD", token: server.alice).state.isActive)
            #expect(try RunPruner.age("30d") == 30 * 86400)
            #expect(throws: GSSAError.self) { try RunPruner.age("30 days") }
            _ = try await server.request(.POST, "/api/v1/simulations/HELD/cancel", token: server.alice)
        }
    }

    @Test("prune-engine removes gssa's labelled leftovers and leaves an unlabelled container alone",
          .requiresDockerEngine, .requiresImages(RealDaemon.image))
    func pruneEngine() async throws {
        let engine = try await DockerEngine.connect()
        let daemonID = "prune-test-\(UUID().uuidString.prefix(8))"
        let labelled = try await engine.createContainer(ContainerSpec(
            image: RealDaemon.image, command: ["true"],
            labels: ["author": "alice", "org": "gssa", "project": "default", "gssa.daemon": daemonID]), name: nil)
        // Unlabelled, and one with gssa's daemon label alone: neither is gssa's to remove.
        let unlabelled = try await engine.createContainer(ContainerSpec(image: RealDaemon.image, command: ["true"]), name: nil)
        let partly = try await engine.createContainer(ContainerSpec(
            image: RealDaemon.image, command: ["true"], labels: ["gssa.daemon": daemonID]), name: nil)
        do {
            let later = Date().addingTimeInterval(5)
            let found = try await EngineLeftovers.find(on: engine, createdBefore: later, matching: ["gssa.daemon": daemonID])
            #expect(found.map(\.id) == [labelled])
            #expect(try await EngineLeftovers.find(on: engine, createdBefore: Date().addingTimeInterval(-3600),
                                                   matching: ["gssa.daemon": daemonID]).isEmpty, "too young")
            let removed = try await EngineLeftovers.prune(on: engine, createdBefore: later, matching: ["gssa.daemon": daemonID])
            #expect(removed == [labelled])
            #expect(try await engine.inspectContainer(labelled) == nil)
            #expect(try await engine.inspectContainer(unlabelled) != nil)
            #expect(try await engine.inspectContainer(partly) != nil)
        } catch {
            Issue.record(error)
        }
        for id in [labelled, unlabelled, partly] { try? await engine.removeContainer(id, force: true) }
        await engine.shutdown()
    }
}
