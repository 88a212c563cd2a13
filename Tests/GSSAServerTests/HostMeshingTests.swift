import Foundation
import GSSA
import GSSAArchive
import GSSAServer
import GSSAServerTesting
import Testing
import NIOHTTP1

/// Docker+CGAL families are meshed on the host before their container starts.
@Suite("Host meshing")
struct HostMeshingTests {
    static func fenicsArchive() throws -> Data {
        let folder = TestServer.fixtures.appendingPathComponent("fenics-ire")
        let url = scratchDirectory("fenics").appendingPathComponent("input.tar.gz")
        let writer = try TarGzWriter(url: url)
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".stl") {
            try writer.add(name, .file(try Data(contentsOf: folder.appendingPathComponent(name))))
        }
        try writer.finish()
        return try Data(contentsOf: url)
    }

    @Test("a fenics run is meshed once on the host, its progress is published, then it launches")
    func meshesBeforeLaunch() async throws {
        let mesher = InMemoryHostMesher()
        let launcher = InMemoryLauncher()
        try await TestServer.withServer(launcher: launcher, mesher: mesher) { server in
            let guid = newGUID()
            let xml = try TestServer.fixture("fenics-ire/definition.xml")
            let finalized = try await server.submit(guid: guid, xml: xml, token: server.alice, archive: try Self.fenicsArchive())
            #expect(finalized.status == .ok, "\(String(decoding: finalized.body, as: UTF8.self))")
            let recorder = await EventRecorder.connect(base: server.base, token: server.alice, until: guid)
            _ = try await server.start(guid: guid, token: server.alice)
            let events = try await recorder.finish()
            #expect(events.last?.type == .complete)
            let messages = events.compactMap { $0.guid == guid ? $0.status?.message : nil }
            let meshing = messages.firstIndex(of: "Meshing on the host")
            let running = messages.firstIndex(of: "Running")
            #expect(meshing != nil && running != nil && meshing! < running!, "\(messages)")
            let meshed = await mesher.meshed
            #expect(meshed.map(\.lastPathComponent) == [try await runKey(guid, in: server.store)])
            #expect(FileManager.default.fileExists(atPath: meshed[0].appendingPathComponent("input/input.msh").path))
            #expect(await launcher.launched.first?.image == "gssa/fenics:bookworm")
            let metrics = String(decoding: try await server.request(.GET, "/metrics", token: nil).body, as: UTF8.self)
            #expect(metrics.contains("gssa_meshing_seconds_count 1"))
        }
    }

    /// A host mesher whose mesh misses the quality gate, as `gssa mesh` reports it: the
    /// `warnings` of `mesh_report.json` beside `input/`.
    struct SliverMesher: HostMesher {
        static let warning = "minimum dihedral angle 3.0° is under 10° (467 tetrahedra below 10°)"
        func mesh(runDirectory: URL, progress: @escaping @Sendable (Double?, String) async -> Void) async throws {
            try await InMemoryHostMesher().mesh(runDirectory: runDirectory, progress: progress)
            let report = try JSONSerialization.data(withJSONObject: ["tetrahedra": 22_988, "warnings": [Self.warning]])
            try report.write(to: runDirectory.appendingPathComponent("mesh_report.json"))
        }
    }

    @Test("a mesh under the quality gate is a warning in the run's events and in its stored summary")
    func qualityWarning() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher(), mesher: SliverMesher()) { server in
            let guid = newGUID()
            try await server.submit(guid: guid, xml: try TestServer.fixture("fenics-ire/definition.xml"), token: server.alice,
                                    archive: try Self.fenicsArchive())
            let recorder = await EventRecorder.connect(base: server.base, token: server.alice, until: guid)
            _ = try await server.start(guid: guid, token: server.alice)
            let events = try await recorder.finish()
            let messages = events.compactMap { $0.guid == guid ? $0.status?.message : nil }
            #expect(messages.contains("Warning: mesh quality: \(SliverMesher.warning)"), "\(messages)")
            let summary = try await server.waitTerminal(guid, token: server.alice)
            #expect(summary.state == .succeeded)
            #expect(summary.warnings == [SliverMesher.warning])
            // Kept in the store, so it outlives the status messages that follow.
            #expect(try await server.store.record(owner: "alice", name: guid.uppercased())?.warnings == [SliverMesher.warning])
            // `gssa status` shows it in its human-readable output too, not only with --json.
            let status = try await ClientCommandTests.gssa(["status", guid], token: server.alice, server: server.base)
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout.split(separator: "\n").contains("warning:   \(SliverMesher.warning)"), "\(status.stdout)")
        }
    }

    @Test("without a mesher, a Docker+CGAL run fails with E_SERVER and a message, not a hang")
    func noMesher() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher(), mesher: UnavailableHostMesher()) { server in
            let guid = newGUID()
            try await server.submit(guid: guid, xml: try TestServer.fixture("fenics-ire/definition.xml"), token: server.alice,
                                    archive: try Self.fenicsArchive())
            _ = try await server.start(guid: guid, token: server.alice)
            let summary = try await server.waitTerminal(guid, token: server.alice)
            #expect(summary.state == .failed)
            #expect(summary.exitStatus?.code == .server)
            #expect(summary.exitStatus?.message.contains("host meshing") == true)
        }
    }
}
