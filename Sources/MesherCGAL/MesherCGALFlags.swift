import Foundation
import GSSA

/// The command-line flags of the original `mesher_cgal` (reference §6.2), so existing scripts can
/// switch to `gssa mesh` unchanged.
///
/// ``parse(_:relativeTo:)`` consumes the flags it knows and hands back everything else, so the
/// `gssa mesh` command can mix them with its own options.
public struct MesherCGALFlags: Sendable {
    public var settings = MeshSettings()
    /// Whether any original flag was given (then flags alone define the domain).
    public var used = false
    /// `--output_prefix`: output base name (a path prefix in the original).
    public var outputPrefix: String?
    /// Tokens that are not original flags, in order.
    public var remaining: [String] = []
    /// Legacy flags accepted and ignored, for a warning.
    public var ignored: [String] = []

    public init() {}

    static let valueFlags: [String: String] = [
        "-c": "--centre", "-r": "--centre_radius", "-t": "--tissueid", "-i": "--extent_index", "-R": "--bounding_radius",
        "-n": "--nearfield", "-f": "--farfield", "-z": "--zonefield", "-g": "--granularity", "-L": "--organ",
        "-S": "--extent", "-V": "--vessels", "-N": "--needles", "-Z": "--zones", "-H": "--hepatic_artery",
        "-P": "--portal_vein", "-p": "--output_prefix", "-M": "--mark_zone_boundaries", "-b": "--boundary_tree",
        "-d": "--omit_needle_tree", "-q": "--omit_zone_tree", "-C": "--combined_surface", "-B": "--boundary_surface",
        "-I": "--structure_surface", "-D": "--dump_settings",
    ]

    public static func parse(_ arguments: [String], relativeTo directory: URL) throws(GSSAError) -> MesherCGALFlags {
        var flags = MesherCGALFlags()
        var s = MeshSettings()
        var i = 0
        var ids = Set<Int>()
        func value(_ flag: String) throws(GSSAError) -> String {
            guard i + 1 < arguments.count else { throw GSSAError.client("\(flag) needs a value") }
            i += 1
            return arguments[i]
        }
        func number(_ flag: String) throws(GSSAError) -> Double {
            let raw = try value(flag)
            guard let v = Double(raw), v.isFinite else { throw GSSAError.client("\(flag) expects a number, got '\(raw)'") }
            return v
        }
        func integer(_ flag: String) throws(GSSAError) -> Int {
            let raw = try value(flag)
            guard let v = Int(raw) else { throw GSSAError.client("\(flag) expects an integer, got '\(raw)'") }
            return v
        }
        /// Values up to the next token starting with '-'.
        func list(_ flag: String) -> [String] {
            var out: [String] = []
            while i + 1 < arguments.count, !arguments[i + 1].hasPrefix("-") {
                i += 1
                out.append(arguments[i])
            }
            return out
        }
        func url(_ path: String) -> URL {
            path.hasPrefix("/") ? URL(fileURLWithPath: path) : directory.appendingPathComponent(path)
        }
        func fileAndID(_ flag: String, _ spec: String) throws(GSSAError) -> (URL, Int, [Substring]) {
            let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count >= 2, !parts[0].isEmpty, let id = Int(parts[1]) else {
                throw GSSAError.client("\(flag) expects FILE:ID, got '\(spec)'")
            }
            return (url(String(parts[0])), id, Array(parts.dropFirst(2)))
        }
        func surface(_ flag: String, _ spec: String, role: MeshRole) throws(GSSAError) {
            let (file, id, _) = try fileAndID(flag, spec)
            s.regions.append(MeshRegion(name: file.deletingPathExtension().lastPathComponent, role: role, geometry: .surface(file), id: id,
                                        groups: [role.rawValue], filename: file.lastPathComponent))
            ids.insert(id)
        }

        while i < arguments.count {
            let raw = arguments[i]
            var flag = raw
            if let long = valueFlags[raw] { flag = long }
            flag = flag.replacingOccurrences(of: "-", with: "_", options: [], range: flag.index(flag.startIndex, offsetBy: min(2, flag.count))..<flag.endIndex)
            var known = true
            switch flag {
            case "--centre":
                s.centre = SIMD3(try number(raw), try number(raw), try number(raw))
            case "--centre_radius": s.centreRadius = try number(raw)
            case "--zone_radius": s.zoneRadius = try number(raw)
            case "--tissueid": s.tissueID = try integer(raw)
            case "--extent_index":
                let v = try integer(raw)
                s.extentID = v > 0 ? v : nil
            case "--bounding_radius": s.boundingRadius = try number(raw)
            case "--nearfield": s.nearField = try number(raw)
            case "--farfield": s.farField = try number(raw)
            case "--zonefield": s.zoneField = try number(raw)
            case "--granularity": s.granularity = try number(raw)
            case "--organ": try surface(raw, try value(raw), role: .organ)
            case "--extent":
                try surface(raw, try value(raw), role: .extent)
                s.boundingRadius = nil
            case "--vessels", "--hepatic_artery", "--portal_vein":
                for spec in list(raw) { try surface(raw, spec, role: .vessel) }
            case "--needles":
                for spec in list(raw) { try surface(raw, spec, role: .needle) }
            case "--zones":
                for spec in list(raw) {
                    let (file, id, rest) = try fileAndID(raw, spec)
                    var region = MeshRegion(name: file.deletingPathExtension().lastPathComponent, role: .zone, geometry: .surface(file), id: id,
                                            groups: ["zones"], filename: file.lastPathComponent)
                    if rest.count >= 1, !rest[0].isEmpty {
                        guard let cl = Double(rest[0]) else { throw GSSAError.client("--zones: bad characteristic length in '\(spec)'") }
                        region.characteristicLength = cl
                    }
                    if rest.count >= 2, !rest[1].isEmpty {
                        guard let priority = Int(rest[1]) else { throw GSSAError.client("--zones: bad priority in '\(spec)'") }
                        region.priority = priority
                    }
                    if rest.count >= 3 {
                        let v = rest[2].split(separator: "_").compactMap { Double($0) }
                        guard v.count == 5, v[4] == v[4].rounded() else {
                            throw GSSAError.client("--zones: activity must be X_Y_Z_R_I in '\(spec)'")
                        }
                        region.activity = MeshActivity(offset: SIMD3(v[0], v[1], v[2]), radius: v[3], inactiveID: Int(v[4]),
                                                       inactiveName: "\(region.name) inactive", inactiveGroups: ["zones-inactive"])
                    }
                    s.regions.append(region)
                }
            case "--mark_zone_boundaries": s.markZoneBoundaries = true
            case "--solid_zone": s.solidZone = true
            case "--boundary_tree": s.boundaryTree = true
            case "--omit_needle_tree", "--omit_needles_tree": s.omitNeedleTree = true
            case "--omit_zone_tree", "--omit_zones_tree": s.omitZoneTree = true
            case "--dense_centre": s.denseCentre = true
            case "--output_prefix":
                flags.outputPrefix = try value(raw)
            case "--output_gmsh": break
            case "--number_from_zero", "--output_vtk", "--output_medit":
                throw GSSAError.client("\(raw) is not supported: gssa writes Gmsh MSH with 1-based nodes (convert with meshio if needed)")
            case "--tetrahedralize_only", "--suppress_nef_loading", "--dump_settings":
                flags.ignored.append(raw)
            case "--combined_surface", "--boundary_surface", "--structure_surface", "--matching_tolerance", "--dump_settings_binary":
                _ = try value(raw)
                flags.ignored.append(raw)
            default:
                known = false
                flags.remaining.append(raw)
            }
            if known { flags.used = true }
            i += 1
        }
        if let prefix = flags.outputPrefix {
            let base = URL(fileURLWithPath: prefix).lastPathComponent
            s.name = base.hasSuffix(".msh") ? String(base.dropLast(4)) : base
        }
        flags.settings = s
        return flags
    }
}
