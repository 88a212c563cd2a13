import Foundation

/// What a meshing run produced: files, counts and the quality report.
public struct MeshResult: Sendable, Codable {
    /// The Gmsh file (`<name>.msh`).
    public var mesh: URL
    /// `mesh_labelling.yml`: region → {meshed_as, id, filename, groups}.
    public var labelling: URL
    /// `mesh_report.json`: this report.
    public var reportFile: URL
    public var report: MeshReport

    /// Public so that other ``Mesher`` implementations (the in-memory one) can return one.
    public init(mesh: URL, labelling: URL, reportFile: URL, report: MeshReport) {
        self.mesh = mesh
        self.labelling = labelling
        self.reportFile = reportFile
        self.report = report
    }
}

/// Mesh statistics computed in the C++ core (CGAL types never leave it).
public struct MeshReport: Sendable, Codable, Hashable {
    public struct Subdomain: Sendable, Codable, Hashable {
        public var id: Int
        public var name: String
        public var tetrahedra: Int
        public var vertices: Int
        public var volume: Double
    }
    public struct Boundary: Sendable, Codable, Hashable {
        public var id: Int
        public var name: String
        public var triangles: Int
        public var area: Double
    }
    public struct Quality: Sendable, Codable, Hashable {
        public var minDihedral: Double
        public var maxDihedral: Double
        public var minDihedralP1: Double
        public var minDihedralP5: Double
        public var minDihedralP50: Double
        public var maxRadiusEdgeRatio: Double
        public var meanRadiusEdgeRatio: Double
        public var sliversBelow10deg: Int

        enum CodingKeys: String, CodingKey {
            case minDihedral = "min_dihedral", maxDihedral = "max_dihedral"
            case minDihedralP1 = "min_dihedral_p1", minDihedralP5 = "min_dihedral_p5", minDihedralP50 = "min_dihedral_p50"
            case maxRadiusEdgeRatio = "max_radius_edge_ratio", meanRadiusEdgeRatio = "mean_radius_edge_ratio"
            case sliversBelow10deg = "slivers_below_10deg"
        }
    }
    public struct Timing: Sendable, Codable, Hashable {
        public var stage: String
        public var seconds: Double
    }

    public var vertices: Int
    public var tetrahedra: Int
    public var triangles: Int
    public var subdomains: [Subdomain]
    public var boundaries: [Boundary]
    public var quality: Quality
    public var threads: Int
    public var tbb: Bool
    public var timings: [Timing]
    /// What filled the volumes (`hxt` or `cgal`); absent in reports written before HXT.
    public var volumeMesher: String?
    /// Surface triangles dropped because HXT left the pocket they bound without tetrahedra.
    public var droppedTriangles: Int?
    /// Meshes made to reach the 10° target (HXT volumes): 1 when the first had no tetrahedron
    /// under 10°, more when other surface criteria were tried.
    public var tries: Int?
    /// The surface criteria of the kept mesh: CGAL's facet angle (degrees) and facet distance
    /// relative to the local size.
    public var facetAngle: Double?
    public var facetDistanceRatio: Double?
    /// Why HXT could not fill the volumes, when CGAL filled them instead.
    public var hxtFailure: String?
    /// The pre-check estimate of the tetrahedron count.
    public var estimatedTetrahedra: Int?
    /// Quality problems (``MeshQualityGate``): set by the mesher, empty when the mesh passes.
    public var warnings: [String]?

    /// Total seconds spent in the given stage (prefix match, e.g. `load`).
    public func seconds(_ stage: String) -> Double {
        timings.filter { $0.stage == stage || $0.stage.hasPrefix(stage + " ") }.map(\.seconds).reduce(0, +)
    }
}

/// Meshes a labelled domain. A protocol so that Families and the server can run against an
/// in-memory fake in unit tests; ``CGALMesher`` is the real implementation.
public protocol Mesher: Sendable {
    /// Meshes `settings` into `directory` (created if needed).
    func mesh(_ settings: MeshSettings, into directory: URL, options: MeshOutputOptions) async throws -> MeshResult
}
