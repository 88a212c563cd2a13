import Foundation
import GSSA
import MesherCGAL

/// A ``Mesher`` for unit tests of code that *calls* the mesher (server, families, batch logic):
/// it validates the settings like the real one, records them, and writes a fixed single-tetrahedron
/// MSH 2.2 plus the labelling and report files, without CGAL.
public actor InMemoryMesher: Mesher {
    public private(set) var received: [MeshSettings] = []
    /// When set, every call fails with this error (to test failure paths).
    public var failure: GSSAError?

    public init(failure: GSSAError? = nil) { self.failure = failure }

    public func mesh(_ settings: MeshSettings, into directory: URL, options: MeshOutputOptions) async throws -> MeshResult {
        received.append(settings)
        if let failure { throw failure }
        try settings.validate()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let tissue = settings.tissueID
        let msh = """
            $MeshFormat
            2.2 0 8
            $EndMeshFormat
            $Nodes
            4
            1 0 0 0
            2 1 0 0
            3 0 1 0
            4 0 0 1
            $EndNodes
            $Elements
            1
            1 4 2 \(tissue) \(tissue) 1 2 3 4
            $EndElements

            """
        let mshURL = directory.appendingPathComponent("\(settings.name).msh")
        try Data(msh.utf8).write(to: mshURL, options: .atomic)
        let labelling = directory.appendingPathComponent("mesh_labelling.yml")
        try Data(MeshLabelling(settings: settings, extentID: MeshLabelling.automaticExtentID(settings)).yaml.utf8).write(to: labelling, options: .atomic)
        // MeshReport is built by the C++ core, so it has no public memberwise initializer: the
        // fake decodes the report's own JSON form, as a client of mesh_report.json would.
        let reportJSON = """
            {"vertices": 4, "tetrahedra": 1, "triangles": 0,
             "subdomains": [{"id": \(tissue), "name": "tissue", "tetrahedra": 1, "vertices": 4, "volume": \(1.0 / 6.0)}],
             "boundaries": [],
             "quality": {"min_dihedral": 70.5, "max_dihedral": 90, "min_dihedral_p1": 70.5, "min_dihedral_p5": 70.5,
                         "min_dihedral_p50": 70.5, "max_radius_edge_ratio": 1.22, "mean_radius_edge_ratio": 1.22,
                         "slivers_below_10deg": 0},
             "threads": \(settings.threads), "tbb": false, "timings": [], "estimatedTetrahedra": 1}
            """
        let report = try JSONDecoder().decode(MeshReport.self, from: Data(reportJSON.utf8))
        let reportURL = directory.appendingPathComponent("mesh_report.json")
        try JSONEncoder().encode(report).write(to: reportURL, options: .atomic)
        return MeshResult(mesh: mshURL, labelling: labelling, reportFile: reportURL, report: report)
    }
}
