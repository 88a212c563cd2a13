import Foundation

/// Everything MesherCGAL needs to mesh one labelled domain.
///
/// This is the contract between the settings readers (GSSF-XML from the Families mesher mixin,
/// `mesher_cgal`-compatible flags) and the meshing core, so that both front ends mesh exactly the
/// same way. Lengths are in the units of the input surfaces (millimetres for clinical data).
public struct MeshSettings: Sendable, Hashable, Codable {
    /// Output base name (`<name>.msh`); GSSF uses the `<gssf name=…>` run name.
    public var name: String = "mesh"
    /// Conceptual centre; `nil` means the centre of the organ's bounding box.
    public var centre: SIMD3<Double>?
    /// Refine a ball of ``centreRadius`` around the centre to the near-field length.
    public var denseCentre = false
    public var centreRadius = 1.0
    /// Radius of the outer bounding sphere around the centre; `nil` or ≤ 0 for none.
    public var boundingRadius: Double? = 50
    public var nearField = 0.3
    public var farField = 3.0
    public var zoneField = 0.3
    /// Default length scale for needle zones (library needles).
    public var needleZoneField: Double?
    /// Decay length of the size field in units of the far-field length.
    public var granularity = 1.0
    /// Padding around zones for the zone length scale.
    public var zoneRadius = 0.0
    public var tissueID = 1
    /// Boundary id of the outer extent; `nil` picks the smallest id not used by another boundary.
    public var extentID: Int?
    public var markZoneBoundaries = false
    public var solidZone = false
    public var boundaryTree = false
    public var omitNeedleTree = false
    public var omitZoneTree = false
    /// What fills the volumes between the labelled surfaces: gmsh's HXT (the default) or CGAL.
    public var volumeMesher = VolumeMesher.hxt
    /// Sliver removal: HXT's optimisation, or CGAL's perturb + exude.
    public var optimise = true
    /// CGAL volumes only: seconds for each of perturb and exude. 0 (the default): with one thread no wall-clock
    /// budget, the perturber stops at the 10° target or its step bound and the exuder when
    /// nothing improves, so the same input and settings give the same mesh bit for bit; with
    /// several threads (never reproducible) each gets as long as refinement took (at least 1 s).
    public var optimiseTimeLimit = 0.0
    /// CGAL volumes only: vertex moves the perturber may try with one thread (a bound linear in the mesh size); 0 = one per vertex.
    public var optimiseMaxSteps = 0
    /// HXT volumes: when the mesh has tetrahedra under 10°, how many other surface criteria (a
    /// fixed list) to mesh with; the first mesh without such tetrahedra is kept, else the best.
    /// Each try is deterministic, so the mesh stays reproducible. 0 turns it off.
    public var qualityRetries = 4
    /// Threads: all cores by default (`--threads` overrides). With HXT the same input, settings
    /// and thread count give the same mesh bit for bit; with CGAL volumes only one thread does.
    public var threads = MeshSettings.defaultThreads
    /// Refuse to mesh when the estimated tetrahedron count exceeds this.
    public var maxCells = 5_000_000
    public var regions: [MeshRegion] = []

    public init() {}

    /// Every core this process may use.
    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}

/// Role of a region in the labelled implicit domain (reference §6.1).
public enum MeshRole: String, Sendable, Hashable, Codable, CaseIterable {
    /// The domain boundary; outside gets the organ's boundary label.
    case organ
    /// An explicit outer extent surface.
    case extent
    /// A hole whose boundary facets carry its id.
    case vessel
    /// A hole that also attracts the near-field size.
    case needle
    /// A labelled volume; priorities resolve overlaps (lower wins, then lower id).
    case zone
}

/// Where a region's geometry comes from.
public enum MeshGeometry: Sendable, Hashable, Codable {
    /// A closed STL (ASCII/binary) or OFF surface.
    case surface(URL)
    /// An analytic capped cylinder between two points (library needles).
    case cylinder(from: SIMD3<Double>, to: SIMD3<Double>, radius: Double)

    // Coded as `{"surface": "/abs/path"}` or `{"cylinder": {"from": [x, y, z], "to": …, "radius": r}}`:
    // `gssa mesh --plan` shows it to people and the raw-CGAL benchmark reads it.
    private enum CodingKeys: String, CodingKey { case surface, cylinder }
    private struct Cylinder: Codable {
        var from: SIMD3<Double>
        var to: SIMD3<Double>
        var radius: Double
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let path = try container.decodeIfPresent(String.self, forKey: .surface) {
            self = .surface(URL(fileURLWithPath: path))
        } else if let c = try container.decodeIfPresent(Cylinder.self, forKey: .cylinder) {
            self = .cylinder(from: c.from, to: c.to, radius: c.radius)
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "a geometry is a 'surface' path or a 'cylinder'"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .surface(let url): try container.encode(url.path, forKey: .surface)
        case .cylinder(let from, let to, let radius): try container.encode(Cylinder(from: from, to: to, radius: radius), forKey: .cylinder)
        }
    }
}

/// An activity sphere: points of the zone outside it form a hole labelled ``inactiveID``.
public struct MeshActivity: Sendable, Hashable, Codable {
    /// Sphere centre as an offset from the mesh centre (tip − centre in GSSF).
    public var offset: SIMD3<Double>
    public var radius: Double
    public var inactiveID: Int
    /// Region name of the inactive part (for `mesh_labelling.yml`).
    public var inactiveName: String
    public var inactiveGroups: [String]

    public init(offset: SIMD3<Double>, radius: Double, inactiveID: Int, inactiveName: String, inactiveGroups: [String] = []) {
        self.offset = offset
        self.radius = radius
        self.inactiveID = inactiveID
        self.inactiveName = inactiveName
        self.inactiveGroups = inactiveGroups
    }
}

/// One labelled input region.
public struct MeshRegion: Sendable, Hashable, Codable {
    public var name: String
    public var role: MeshRole
    public var geometry: MeshGeometry
    /// Boundary id (holes, organ, extent) or subdomain id (zones).
    public var id: Int
    /// Zone length scale; `nil` uses the zone (or needle-zone) field.
    public var characteristicLength: Double?
    public var priority: Int
    public var activity: MeshActivity?
    public var groups: [String]
    /// File name reported in `mesh_labelling.yml`.
    public var filename: String?

    public init(
        name: String, role: MeshRole, geometry: MeshGeometry, id: Int, characteristicLength: Double? = nil,
        priority: Int = 0, activity: MeshActivity? = nil, groups: [String] = [], filename: String? = nil
    ) {
        self.name = name
        self.role = role
        self.geometry = geometry
        self.id = id
        self.characteristicLength = characteristicLength
        self.priority = priority
        self.activity = activity
        self.groups = groups
        self.filename = filename
    }
}

/// Output options of one meshing run.
public struct MeshOutputOptions: Sendable, Hashable, Codable {
    public enum Format: String, Sendable, Hashable, Codable, CaseIterable {
        case msh22, msh41
        var version: Int32 { self == .msh22 ? 22 : 41 }
    }
    public var format: Format = .msh22
    public var binary = false

    public init(format: Format = .msh22, binary: Bool = false) {
        self.format = format
        self.binary = binary
    }
}
