import Foundation
import GSSA
import GSSAServer
import GSSATestSupport
import Testing
import NIOHTTP1

/// Cancel always wins, fast (issue 9, item 6): at every stage the run ends `E_CANCELLED`
/// within 5 s, the mesher or the container is killed, and nothing is left behind. Real
/// `gssa-dockerlaunch` process, real dockerd, host meshing by a real `gssa mesh` child.
@Suite("Cancel at every stage (real daemon process and dockerd)", .serialized, .requiresDockerEngine,
       .requiresImages(RealDaemon.image))
struct CancelStageTests {
    static func withServer<T>(_ daemon: DaemonProcess, _ body: (TestServer) async throws -> T) async throws -> T {
        try await TestServer.withServer(
            launcher: daemon.launcher, data: daemon.data,
            mesher: GSSAMeshHostMesher(executable: ServerProcess.executable, threads: 1), body)
    }

    /// Cancels `guid` and checks the end state, the 5 s bound, and that no container, no
    /// temporary directory and no mesher process is left.
    static func cancel(_ guid: String, on server: TestServer, daemon: DaemonProcess) async throws {
        let key = try await runKey(guid, in: server.store)
        let began = ContinuousClock.now
        let reply = try await server.request(.POST, "/api/v1/simulations/\(guid)/cancel", token: server.alice)
        #expect(reply.status == .ok, "\(String(decoding: reply.body, as: UTF8.self))")
        let summary = try await server.waitTerminal(guid, token: server.alice, seconds: 5)
        let elapsed = ContinuousClock.now - began
        #expect(summary.state == .cancelled)
        #expect(summary.exitStatus?.code == .cancelled)
        #expect(elapsed < .seconds(5), "cancel took \(elapsed)")
        let run = URL(fileURLWithPath: summary.directory)
        let clean = await eventually(60) {
            daemon.containers(guid: key).isEmpty && Self.processes(mentioning: run.path).isEmpty
                && !FileManager.default.fileExists(atPath: GSSAMeshHostMesher.scratch(in: run).path)
                && Self.collectScratch(in: daemon.data).isEmpty
        }
        #expect(clean, """
            left behind: containers \(daemon.containers(guid: key)), processes \(Self.processes(mentioning: run.path)), \
            scratch \(Self.collectScratch(in: daemon.data))
            """)
        // The late end of the supervision never overwrites the cancel.
        await server.manager.waitForTask(guid: key)
        let after = try await server.summary(guid, token: server.alice)
        #expect(after.state == .cancelled && after.exitStatus?.code == .cancelled, "\(String(describing: after.exitStatus))")
    }

    /// PIDs of processes whose command line contains `text` (e.g. a `gssa mesh` of a run).
    static func processes(mentioning text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), pid != getpid(),
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { return nil }
            let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return line.contains(text) ? pid : nil
        }
    }

    /// The daemon's temporary collection tars under its data root.
    static func collectScratch(in data: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: data.path)) ?? []).filter { $0.hasPrefix(".gssa-collect-") }
    }

    static func state(_ guid: String, _ server: TestServer) async throws -> SimulationState {
        try await server.summary(guid, token: server.alice).state
    }

    @Test("queued, then running: each ends E_CANCELLED within 5 s, the container is gone")
    func queuedAndRunning() async throws {
        let daemon = try await DaemonProcess(maxContainers: 1)
        defer { daemon.cleanup() }
        try await Self.withServer(daemon) { server in
            let xml = try TestServer.sleepDefinition(steps: 120, sleep: 0.5)
            let blocker = newGUID(), waiting = newGUID()
            for guid in [blocker, waiting] { try await server.submit(guid: guid, xml: xml, token: server.alice) }
            _ = try await server.start(guid: blocker, token: server.alice)
            #expect(try await eventually(60) {
                try await server.summary(blocker, token: server.alice).status.message?.hasPrefix("step") == true
            })
            _ = try await server.start(guid: waiting, token: server.alice)
            #expect(try await Self.state(waiting, server) == .queued)
            try await Self.cancel(waiting, on: server, daemon: daemon)
            #expect(try await daemon.launcher.state(guid: try await runKey(waiting, in: server.store)) == .gone)
            #expect(try await Self.state(blocker, server) == .running)
            let blockerKey = try await runKey(blocker, in: server.store)
            #expect(!daemon.containers(guid: blockerKey).isEmpty, "the running run has no container to kill (is the docker CLI there?)")
            try await Self.cancel(blocker, on: server, daemon: daemon)
            #expect(try await daemon.launcher.state(guid: blockerKey) != .running)
        }
    }

    @Test("starting (the daemon staging the container): E_CANCELLED within 5 s, no container left")
    func starting() async throws {
        let daemon = try await DaemonProcess(maxContainers: 2)
        defer { daemon.cleanup() }
        try await Self.withServer(daemon) { server in
            let guid = newGUID()
            try await server.submit(guid: guid, xml: try TestServer.sleepDefinition(steps: 80, sleep: 0.5), token: server.alice)
            _ = try await server.start(guid: guid, token: server.alice)
            var seen: SimulationState = .queued
            let key = try await runKey(guid, in: server.store)
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                seen = try await server.store.record(guid: key)?.state ?? .queued
                if seen != .queued { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(seen == .starting, "the run was \(seen) when the cancel went out")
            try await Self.cancel(guid, on: server, daemon: daemon)
        }
    }

    @Test("meshing on the host: the `gssa mesh` child is killed, E_CANCELLED within 5 s, no mesh or scratch left")
    func meshing() async throws {
        let daemon = try await DaemonProcess(maxContainers: 2, images: [RealDaemon.image, "gssa/fenics:bookworm"])
        defer { daemon.cleanup() }
        try await Self.withServer(daemon) { server in
            let guid = newGUID()
            // Fine resolution: the mesh takes long enough to be cancelled mid-way.
            let xml = try TestServer.fixture("fenics-ire/definition.xml")
                .replacingOccurrences(of: "name=\"RESOLUTION_FIELD_NEAR\" value=\"1.5\"", with: "name=\"RESOLUTION_FIELD_NEAR\" value=\"0.4\"")
                .replacingOccurrences(of: "name=\"RESOLUTION_FIELD_FAR\" value=\"6.0\"", with: "name=\"RESOLUTION_FIELD_FAR\" value=\"1.5\"")
                .replacingOccurrences(of: "name=\"RESOLUTION_FIELD_ZONE\" value=\"2.5\"", with: "name=\"RESOLUTION_FIELD_ZONE\" value=\"0.6\"")
            let finalized = try await server.submit(guid: guid, xml: xml, token: server.alice, archive: try HostMeshingTests.fenicsArchive())
            #expect(finalized.status == .ok, "\(String(decoding: finalized.body, as: UTF8.self))")
            _ = try await server.start(guid: guid, token: server.alice)
            let run = try await server.summary(guid, token: server.alice).directory
            let meshing = await eventually(60) {
                !Self.processes(mentioning: run + "/input/settings.xml").isEmpty
            }
            #expect(meshing, "no `gssa mesh` child for the run")
            try await Self.cancel(guid, on: server, daemon: daemon)
            #expect(Self.processes(mentioning: run + "/input/settings.xml").isEmpty)
            #expect(!FileManager.default.fileExists(atPath: run + "/input/input.msh"))
            #expect(try await daemon.launcher.state(guid: try await runKey(guid, in: server.store)) == .gone)
        }
    }

    /// Writes 200 MB of output, says so, and exits: the daemon then collects for a while.
    static let bigOutput = """
        <?xml version="1.0" encoding="UTF-8"?>
        <simulationDefinition>
          <parameters/>
          <numericalModel>
            <needles/>
            <regions/>
            <definition family="python-demo"><![CDATA[
        import os
        import gosmart
        gosmart.setup()
        from gosmart.parameters import update
        os.makedirs("output", exist_ok=True)
        block = os.urandom(1 << 20)
        with open("output/big.bin", "wb") as f:
            for _ in range(200):
                f.write(block)
        update.status("written", 100)
        ]]></definition>
          </numericalModel>
        </simulationDefinition>
        """

    @Test("collecting (the daemon copying a large output out): E_CANCELLED within 5 s, no container or scratch left")
    func collecting() async throws {
        let daemon = try await DaemonProcess(maxContainers: 2)
        defer { daemon.cleanup() }
        try await Self.withServer(daemon) { server in
            let guid = newGUID()
            try await server.submit(guid: guid, xml: Self.bigOutput, token: server.alice)
            let recorder = await EventRecorder.connect(base: server.base, token: server.alice, until: guid)
            _ = try await server.start(guid: guid, token: server.alice)
            let written = await eventually(120) {
                await recorder.events.contains { $0.guid == guid.uppercased() && $0.status?.message == "written" }
            }
            #expect(written)
            try await Self.cancel(guid, on: server, daemon: daemon)
            _ = try? await recorder.finish(seconds: 5)
        }
    }
}
