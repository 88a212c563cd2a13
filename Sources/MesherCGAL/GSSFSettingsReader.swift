import Foundation
import GSSA

/// Reads the GSSF-XML `<gssf>` document the Families mesher mixin emits (reference §2.7) into
/// ``MeshSettings``.
///
/// Sections used: `<geometry>` (centre), `<regions>` (surface files and groups),
/// `<needlelibrary>` (library needles placed by offset and axis) and `<mesher>` (extent, dense
/// centre, length scales, organ/zone/vessel/needle roles, activity spheres). Ids are assigned
/// the way GSSF's region logger does: sequential and clash-free, the extent first (1), the
/// tissue volume 1. Input paths resolve relative to the settings file, then its parent (the
/// layout `gssa configure` writes: `DIR/input/settings.xml` next to `DIR/input/<id>.stl`).
public struct GSSFSettingsReader: Sendable {
    public var library: NeedleLibrary

    public init(library: NeedleLibrary) { self.library = library }

    public init() throws(GSSAError) { self.library = try NeedleLibrary.bundled() }

    public func read(contentsOf url: URL) throws(GSSAError) -> MeshSettings {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GSSAError.client("settings file not found: \(url.path)")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw GSSAError.client("cannot read settings file \(url.path)") }
        return try read(data, settingsFile: url)
    }

    public func read(_ data: Data, settingsFile: URL) throws(GSSAError) -> MeshSettings {
        let root: LocatedElement
        do { root = try XMLTreeReader.read(data) } catch {
            throw GSSAError(error.code, "\(settingsFile.lastPathComponent): \(error.reason)", line: error.line)
        }
        var parse = Parse(root: root, file: settingsFile, library: library)
        return try parse.run()
    }
}

private struct Parse {
    let root: LocatedElement
    let file: URL
    let library: NeedleLibrary
    var settings = MeshSettings()
    var nextID = 2
    var declared: [String: (element: LocatedElement, groups: [String])] = [:]
    var libraryNeedles: [String: LocatedElement] = [:]
    var libraryOrder: [String] = []
    var geometryCentre: SIMD3<Double>?

    init(root: LocatedElement, file: URL, library: NeedleLibrary) {
        self.root = root
        self.file = file
        self.library = library
    }

    func fail(_ reason: String, _ element: LocatedElement? = nil, attribute: String? = nil) -> GSSAError {
        GSSAError.client("\(file.lastPathComponent): \(reason)", line: element?.line, element: element?.tag, attribute: attribute)
    }

    mutating func takeID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    func double(_ element: LocatedElement, _ name: String) throws(GSSAError) -> Double? {
        guard let raw = element[attribute: name] else { return nil }
        guard let value = Double(raw.trimmingCharacters(in: .whitespaces)), value.isFinite else {
            throw fail("attribute \(name)=\"\(raw)\" is not a number", element, attribute: name)
        }
        return value
    }

    func int(_ element: LocatedElement, _ name: String) throws(GSSAError) -> Int? {
        guard let raw = element[attribute: name] else { return nil }
        guard let value = Int(raw.trimmingCharacters(in: .whitespaces)) ?? Double(raw).flatMap({ Int(exactly: $0) }) else {
            throw fail("attribute \(name)=\"\(raw)\" is not an integer", element, attribute: name)
        }
        return value
    }

    func xyz(_ element: LocatedElement) throws(GSSAError) -> SIMD3<Double>? {
        guard let x = try double(element, "x"), let y = try double(element, "y"), let z = try double(element, "z") else { return nil }
        return SIMD3(x, y, z)
    }

    func vector(_ element: LocatedElement, _ name: String) throws(GSSAError) -> SIMD3<Double>? {
        guard let raw = element[attribute: name] else { return nil }
        let parts = raw.split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { Double($0) }
        guard parts.count == 3, parts.allSatisfy(\.isFinite) else {
            throw fail("attribute \(name)=\"\(raw)\" is not three numbers", element, attribute: name)
        }
        return SIMD3(parts[0], parts[1], parts[2])
    }

    /// `input/organ-1.stl` relative to the settings file's folder, then its parent.
    func resolve(_ path: String, _ element: LocatedElement) throws(GSSAError) -> URL {
        guard SafePath.isSafeRelative(path) else {
            throw fail("input path '\(path)' must be relative and must not leave the settings folder", element, attribute: "input")
        }
        let folder = file.deletingLastPathComponent()
        let candidates = [folder.appendingPathComponent(path), folder.deletingLastPathComponent().appendingPathComponent(path)]
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) { return found }
        throw fail("surface file '\(path)' not found (looked in \(candidates.map { $0.deletingLastPathComponent().path }.joined(separator: " and ")))",
                   element, attribute: "input")
    }

    mutating func run() throws(GSSAError) -> MeshSettings {
        guard root.name == "gssf" || root.name == "gosmart" else {
            throw fail("root element is <\(root.name)>, expected <gssf> or <gosmart>", root)
        }
        if let name = root[attribute: "name"], !name.isEmpty {
            guard SafePath.isSafeComponent(name) else { throw fail("run name '\(name)' is not a plain file name", root, attribute: "name") }
            settings.name = name
        }
        if let geometry = root.child(named: "geometry"), let centre = geometry.child(named: "centre") {
            guard let c = try xyz(centre) else { throw fail("<centre> needs x, y and z", centre) }
            geometryCentre = c
            settings.centre = c
        }
        for region in root.child(named: "regions")?.children ?? [] {
            guard let name = region[attribute: "name"] else { throw fail("region without a name", region, attribute: "name") }
            let groups = (region[attribute: "groups"] ?? "").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            declared[name] = (region, groups)
        }
        for needle in root.child(named: "needlelibrary")?.children(named: "needle") ?? [] {
            guard let name = needle[attribute: "name"] else { throw fail("library needle without a name", needle, attribute: "name") }
            libraryNeedles[name] = needle
            libraryOrder.append(name)
        }
        guard let mesher = root.child(named: "mesher") else { throw fail("no <mesher> section: nothing to mesh", root) }
        if let type = mesher[attribute: "type"], type.uppercased() != "CGAL" {
            throw fail("mesher type '\(type)' is not supported (only CGAL)", mesher, attribute: "type")
        }
        settings.markZoneBoundaries = mesher[attribute: "zone_boundaries"] == "true"
        settings.extentID = 1
        var usedNeedles = Set<String>()

        for child in mesher.children {
            switch child.name {
            case "extent":
                if let radius = try double(child, "radius") {
                    guard radius > 0 else { throw fail("extent radius must be positive", child, attribute: "radius") }
                    settings.boundingRadius = radius
                } else if let region = child[attribute: "region"] {
                    settings.boundingRadius = nil
                    try addSurface(region, role: .extent, child, id: 1)
                }
            case "centre":
                settings.denseCentre = true
                if let offset = try xyz(child) { settings.centre = (geometryCentre ?? .zero) + offset }
                if let radius = try double(child, "radius") { settings.centreRadius = radius }
            case "lengthscales":
                if let v = try double(child, "nearfield") { settings.nearField = v }
                if let v = try double(child, "farfield") { settings.farField = v }
                if let raw = child[attribute: "zonefield"], raw == "ignore" {
                    settings.omitZoneTree = true
                } else if let v = try double(child, "zonefield") {
                    settings.zoneField = v
                } else {
                    settings.zoneField = settings.nearField
                }
                if let v = try double(child, "granularity") { settings.granularity = v }
                if let v = try double(child, "zone_radius") { settings.zoneRadius = v }
                if let v = try double(child, "needlezonefield") { settings.needleZoneField = v }
                settings.boundaryTree = child[attribute: "vessels"].map { $0 != "far" } ?? false
                if child[attribute: "zones"] == "solid" { settings.solidZone = true }
            case "organ":
                guard let region = child[attribute: "region"] else { throw fail("<organ> needs a region", child, attribute: "region") }
                try addSurface(region, role: .organ, child, id: takeID())
            case "surface", "vessel":
                guard let region = child[attribute: "region"] else { throw fail("<\(child.name)> needs a region", child, attribute: "region") }
                try addSurface(region, role: .vessel, child, id: takeID())
            case "needle":
                guard let region = child[attribute: "region"] else { throw fail("<needle> needs a region", child, attribute: "region") }
                try addSurface(region, role: .needle, child, id: takeID())
            case "zone":
                guard let region = child[attribute: "region"] else { throw fail("<zone> needs a region", child, attribute: "region") }
                let cl = try double(child, "characteristic_length")
                let priority = try int(child, "priority") ?? 0
                if declared[region] != nil {
                    let id = takeID()
                    try addSurface(region, role: .zone, child, id: id, cl: cl, priority: priority,
                                   activity: try activity(child, region: region, groups: declared[region]!.groups))
                } else if let needle = libraryName(forZone: region) {
                    usedNeedles.insert(needle)
                    try addLibraryNeedle(needle, cl: cl, priority: priority, mesherZone: child)
                } else {
                    throw fail("zone region '\(region)' is declared neither in <regions> nor in <needlelibrary>", child, attribute: "region")
                }
            case "inner", "optimizer":
                continue // axisymmetric inner meshes are not produced by MesherCGAL
            default:
                continue
            }
        }
        for needle in libraryOrder where !usedNeedles.contains(needle) {
            // GSSF: library needles not mentioned by the mesher become zones of priority -1000.
            try addLibraryNeedle(needle, cl: nil, priority: -1000, mesherZone: nil)
        }
        return settings
    }

    func libraryName(forZone region: String) -> String? {
        if libraryNeedles[region] != nil { return region }
        if region.hasPrefix("needle-"), libraryNeedles[String(region.dropFirst(7))] != nil { return String(region.dropFirst(7)) }
        return nil
    }

    mutating func activity(_ zone: LocatedElement, region: String, groups: [String]) throws(GSSAError) -> MeshActivity? {
        guard let element = zone.child(named: "activity") else { return nil }
        guard let offset = try xyz(element), let r = try double(element, "r") else {
            throw fail("<activity> needs x, y, z and r", element)
        }
        guard r > 0 else { throw fail("activity radius must be positive", element, attribute: "r") }
        return MeshActivity(offset: offset, radius: r, inactiveID: takeID(), inactiveName: "\(region) inactive",
                            inactiveGroups: groups.map { "\($0)-inactive" })
    }

    mutating func addSurface(
        _ name: String, role: MeshRole, _ element: LocatedElement, id: Int, cl: Double? = nil, priority: Int = 0,
        activity: MeshActivity? = nil
    ) throws(GSSAError) {
        guard let (regionElement, groups) = declared[name] else {
            throw fail("region '\(name)' is not declared in <regions>", element, attribute: "region")
        }
        guard let input = regionElement[attribute: "input"] else {
            throw fail("region '\(name)' has no input file", regionElement, attribute: "input")
        }
        let url = try resolve(input, regionElement)
        settings.regions.append(MeshRegion(name: name, role: role, geometry: .surface(url), id: id, characteristicLength: cl,
                                           priority: priority, activity: activity, groups: groups, filename: url.lastPathComponent))
    }

    mutating func addLibraryNeedle(_ name: String, cl: Double?, priority: Int, mesherZone: LocatedElement?) throws(GSSAError) {
        let element = libraryNeedles[name]!
        guard let centre = geometryCentre else {
            throw fail("library needle '\(name)' needs <geometry><centre> to be placed", element)
        }
        guard let offset = try vector(element, "offset"), let axis = try vector(element, "axis") else {
            throw fail("library needle '\(name)' needs offset and axis", element)
        }
        let scaling = try double(element, "scaling") ?? 1
        let zoneName = name.hasPrefix("needle") ? name : "needle-\(name)"
        let groups = ["needles"]
        let id = takeID()
        let activity = try mesherZone.flatMap { zone throws(GSSAError) in try self.activity(zone, region: zoneName, groups: groups) }
        let parts: [(from: SIMD3<Double>, to: SIMD3<Double>, radius: Double, active: Bool)]
        if let libraryID = element[attribute: "id"] {
            do {
                parts = try library.cylinders(for: libraryID, tip: centre + offset, axis: axis, scaling: scaling)
            } catch {
                throw fail(error.reason, element, attribute: "id")
            }
        } else if let input = element[attribute: "input"] {
            let url = try resolve(input, element)
            settings.regions.append(MeshRegion(name: zoneName, role: .zone, geometry: .surface(url), id: id,
                                               characteristicLength: cl ?? settings.needleZoneField, priority: priority,
                                               activity: activity, groups: groups, filename: url.lastPathComponent))
            return
        } else {
            throw fail("library needle '\(name)' needs an id or an input", element)
        }
        var shaftID: Int?
        for part in parts {
            if part.active {
                settings.regions.append(MeshRegion(name: zoneName, role: .zone, geometry: .cylinder(from: part.from, to: part.to, radius: part.radius),
                                                   id: id, characteristicLength: cl ?? settings.needleZoneField, priority: priority,
                                                   activity: activity, groups: groups))
            } else {
                let sid = shaftID ?? takeID()
                shaftID = sid
                settings.regions.append(MeshRegion(name: "\(zoneName)-shaft", role: .needle, geometry: .cylinder(from: part.from, to: part.to, radius: part.radius),
                                                   id: sid, groups: ["needles-shaft"]))
            }
        }
    }
}
