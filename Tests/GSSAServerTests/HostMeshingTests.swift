import Foundation
import GSSA
import GSSAArchive
import GSSAServer
import Testing

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
