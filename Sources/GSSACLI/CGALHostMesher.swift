import Foundation
import GSSA
import GSSAServer
import MesherCGAL

/// The server's host mesher for Docker+CGAL families: reads the family's
/// `input/settings.xml` (GSSF-XML) and writes `input/input.msh` and `input/mesh_labelling.yml`
/// with CGAL, in-process, before the container starts.
struct CGALHostMesher: HostMesher {
    /// Threads per mesh; the server may mesh several runs at once.
    var threads: Int?

    func mesh(runDirectory: URL, progress: @escaping @Sendable (Double?, String) async -> Void) async throws {
        let input = runDirectory.appendingPathComponent("input")
        await progress(nil, "Meshing on the host (CGAL)")
        var settings = try GSSFSettingsReader().read(contentsOf: input.appendingPathComponent("settings.xml"))
        settings.name = "input"
        if let threads { settings.threads = threads }
        let result = try await CGALMesher().mesh(settings, into: input, options: MeshOutputOptions())
        let report = result.report
        let log = "meshed: \(report.tetrahedra) tetrahedra, \(report.vertices) vertices\n"
        try? Data(log.utf8).write(to: runDirectory.appendingPathComponent("mesher.log"))
        await progress(nil, "Meshing done: \(report.tetrahedra) tetrahedra")
    }
}
