import Foundation

/// `mesh_labelling.yml`: the contract the solver side (`gosmart.region`, `mesh_and_go.py`)
/// reads to map MSH physical tags back to region names (reference §6.3).
///
/// Format: `{region: {meshed_as: surface|zone, id, filename, groups}}`. Written by hand (flow
/// style, quoted strings) so this module needs no YAML dependency.
public struct MeshLabelling: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var region: String
        public var meshedAs: String
        public var id: Int
        public var filename: String?
        public var groups: [String]
    }

    public var entries: [Entry]

    public init(settings: MeshSettings, extentID: Int?) {
        var entries: [Entry] = []
        if let extentID, !settings.regions.contains(where: { $0.role == .extent }) {
            entries.append(Entry(region: "extent", meshedAs: "surface", id: extentID, filename: nil, groups: ["extent", "boundaries"]))
        }
        entries.append(Entry(region: "tissue", meshedAs: "zone", id: settings.tissueID, filename: nil, groups: ["tissue"]))
        for region in settings.regions {
            let file: String? = switch region.geometry {
            case .surface(let url): region.filename ?? url.lastPathComponent
            case .cylinder: region.filename
            }
            entries.append(Entry(region: region.name, meshedAs: region.role == .zone ? "zone" : "surface", id: region.id,
                                 filename: file, groups: region.groups))
            if let activity = region.activity {
                entries.append(Entry(region: activity.inactiveName, meshedAs: "surface", id: activity.inactiveID, filename: nil,
                                     groups: activity.inactiveGroups))
            }
        }
        // A region split into several parts (multi-part needles) is listed once.
        var seen = Set<String>()
        self.entries = entries.filter { seen.insert($0.region).inserted }
    }

    /// The id the core picks for the extent when none is given: the smallest unused boundary id.
    public static func automaticExtentID(_ settings: MeshSettings) -> Int {
        var used = Set<Int>()
        for region in settings.regions where region.role != .zone { used.insert(region.id) }
        for region in settings.regions { if let a = region.activity { used.insert(a.inactiveID) } }
        var id = 1
        while used.contains(id) { id += 1 }
        return id
    }

    public var yaml: String {
        var out = "# Written by gssa MesherCGAL: MSH physical tag per region.\n"
        for entry in entries {
            out += "\(quote(entry.region)):\n"
            out += "  meshed_as: \(entry.meshedAs)\n"
            out += "  id: \(entry.id)\n"
            out += "  filename: \(entry.filename.map(quote) ?? "null")\n"
            out += "  groups: [\(entry.groups.map(quote).joined(separator: ", "))]\n"
        }
        return out
    }

    private func quote(_ s: String) -> String {
        var escaped = ""
        for c in s.unicodeScalars {
            switch c {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(c)
            }
        }
        return "\"\(escaped)\""
    }
}
