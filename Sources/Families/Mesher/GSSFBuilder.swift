import Foundation
import GSSA

/// Builds GSSF-XML from a definition. See ``MesherGSSF``.
struct GSSFBuilder {
    let definition: SimulationDefinition
    let nonMeshingGroups: Set<String>

    private var parameters: ParameterSet { definition.parameters }

    /// A point or vector, written space-separated in attributes as GSSF expects.
    struct Vector3: Equatable {
        var x, y, z: Double
        static func - (a: Self, b: Self) -> Self { Vector3(x: a.x - b.x, y: a.y - b.y, z: a.z - b.z) }
        static func + (a: Self, b: Self) -> Self { Vector3(x: a.x + b.x, y: a.y + b.y, z: a.z + b.z) }
        static func * (a: Self, s: Double) -> Self { Vector3(x: a.x * s, y: a.y * s, z: a.z * s) }
        var length: Double { (x * x + y * y + z * z).squareRoot() }
        var spaced: String { "\(x) \(y) \(z)" }
    }

    /// The document as indented text, the way the original's GSSF-XML files are laid out.
    static func render(_ root: LocatedElement) -> String {
        XMLTreeWriter.string(root, layout: .gssf)
    }

    func build() throws(GSSAError) -> LocatedElement {
        var root = element("gssf", [("name", "elmer_libnuma"), ("version", "1.0.2")])
        var regionsElement = element("regions")
        var needleLibrary = element("needlelibrary")
        var needlesElement = element("needles")
        var mesher = element("mesher", [("type", "CGAL"), ("zone_boundaries", "true")])

        let (geometry, centre) = try self.geometry()

        let effective = SolverInput(definition: definition).effectiveRegions
        for region in effective where region.format != .mesh {
            regionsElement.addChild(element(region.format.rawValue, [
                ("name", region.id),
                ("input", "input/" + SolverInput.localName(key: region.id, remote: region.input)),
                ("groups", region.groups.joined(separator: "; ")),
            ]))
        }

        var constants = element("constants")
        for parameter in parameters {
            var attributes = [("name", parameter.name), ("value", parameter.value.pythonJSON)]
            if let type = parameter.type { attributes.append(("type", type)) }
            constants.addChild(element("parameter", attributes))
        }

        if parameters.contains("SETTING_SOLID_NEEDLES") {
            needleLibrary.attributes.append((name: "zones", value: parameters.isSet("SETTING_SOLID_NEEDLES") ? "true" : "false"))
        }

        // Mesher header: inner templates, extent, dense centre, length scales.
        if let inner = parameters.string("SETTING_AXISYMMETRIC_INNER") {
            mesher.addChild(element("inner", [("type", "axisymmetric"), ("template", inner)]))
        }
        if let coarse = parameters.string("SETTING_AXISYMMETRIC_INNER_COARSE") {
            mesher.addChild(element("inner", [("type", "axisymmetric"), ("name", "coarse"), ("template", coarse)]))
        }
        mesher.addChild(element("extent", [("radius", number("SIMULATION_DOMAIN_RADIUS") ?? "50")]))
        mesher.addChild(element("centre"))
        let scales = try lengthScales()
        var scaleAttributes = [("nearfield", scales.near), ("farfield", scales.far), ("zonefield", scales.zone), ("vessels", "far")]
        if let needleZone = scales.needleZone { scaleAttributes.append(("needlezonefield", needleZone)) }
        mesher.addChild(element("lengthscales", scaleAttributes))
        let needleZoneLength = scales.needleZone ?? scales.near

        for region in effective where region.format != .mesh {
            if region.name == "organ" {
                if parameters.isSet("SETTING_ORGAN_AS_SUBDOMAIN") {
                    mesher.addChild(element("zone", [("region", region.id), ("priority", "100"), ("characteristic_length", scales.far)]))
                } else {
                    mesher.addChild(element("organ", [("region", region.id)]))
                }
            } else if region.format == .zone && nonMeshingGroups.isDisjoint(with: region.groups) {
                mesher.addChild(element("zone", [("region", region.id), ("priority", "1"), ("characteristic_length", scales.zone)]))
            } else if region.groups.contains("vessels") || region.groups.contains("bronchi") {
                mesher.addChild(element("zone", [("region", region.id), ("priority", "2"), ("characteristic_length", scales.zone)]))
            }
        }

        // Needles, renumbered 1-based. A needle's zone is found again by its place in <mesher>.
        var zonesByRegion: [String: Int] = [:]
        for (needle, number) in zip(definition.needles, needleNumbers()) {
            let name = String(number)
            var entry = element("needle", [("name", name)])
            if needle.needleClass == "boundary" || needle.needleClass == "solid-boundary" {
                switch needle.file.mode {
                case .surface, .zone, .both:
                    let local = SolverInput.localName(key: needle.index, remote: needle.file.value)
                    regionsElement.addChild(element(needle.file.mode.rawValue, [("name", name), ("input", "input/" + local), ("groups", "needles")]))
                    zonesByRegion[name] = mesher.children.count
                    mesher.addChild(element("zone", [("region", name), ("characteristic_length", needleZoneLength), ("priority", "0")]))
                case .library, .transfer:
                    let tip = try point(needle, "NEEDLE_TIP_LOCATION")
                    let entryPoint = try point(needle, "NEEDLE_ENTRY_LOCATION")
                    var attributes: [(String, String)]
                    if needle.file.mode == .library {
                        attributes = [("id", needle.file.value)]
                    } else {
                        attributes = [("input", "input/" + SolverInput.localName(key: needle.index, remote: needle.file.value))]
                    }
                    attributes += [("name", name), ("offset", (tip - (centre ?? tip)).spaced), ("axis", (entryPoint - tip).spaced)]
                    if let scaling = needle.parameters.value("NEEDLE_SCALING") {
                        attributes.append(("scaling", scaling.doubleValue.map { "\($0)" } ?? scaling.pythonJSON))
                    }
                    needleLibrary.addChild(element("needle", attributes))
                    var constants = element("parameters")
                    for parameter in needle.parameters {
                        constants.addChild(element("constant", [("name", parameter.name), ("value", parameter.value.pythonJSON)]))
                    }
                    entry.addChild(constants)
                }
                let active = needle.parameters.value("NEEDLE_ACTIVE_LENGTH") ?? parameters.value("CONSTANT_GLOBAL_ACTIVE_LENGTH")
                if let active {
                    guard let radius = active.doubleValue else {
                        throw GSSAError.client("NEEDLE_ACTIVE_LENGTH is not a number: \(active.pythonJSON)", line: needle.line, element: "<needle index=\"\(needle.index)\">")
                    }
                    let tip = try point(needle, "NEEDLE_TIP_LOCATION")
                    let offset = tip - (centre ?? tip)
                    let zone: Int
                    if let existing = zonesByRegion[name] {
                        zone = existing
                    } else {
                        zone = mesher.children.count
                        mesher.addChild(element("zone", [("characteristic_length", needleZoneLength), ("priority", "0"), ("region", "needle-\(name)")]))
                        zonesByRegion[name] = zone
                    }
                    mesher.children[zone].addChild(element("activity", [("x", "\(offset.x)"), ("y", "\(offset.y)"), ("z", "\(offset.z)"), ("r", "\(radius)")]))
                }
            }
            needlesElement.addChild(entry)
        }

        root.addChild(geometry)
        root.addChild(regionsElement)
        root.addChild(constants)
        root.addChild(needleLibrary)
        root.addChild(mesher)
        root.addChild(element("optimizer"))
        root.addChild(needlesElement)
        return root
    }

    /// `<geometry>` and the centre it settles on (nil when nothing defines one).
    private func geometry() throws(GSSAError) -> (LocatedElement, Vector3?) {
        var geometry = element("geometry")
        let first = definition.needles.first
        let axis: Vector3? = try first.map { needle throws(GSSAError) in
            try point(needle, "NEEDLE_ENTRY_LOCATION") - point(needle, "NEEDLE_TIP_LOCATION")
        }
        var centre: Vector3?
        switch parameters.value("CENTRE_LOCATION") {
        case .array(let values)?:
            let numbers = values.compactMap(\.doubleValue)
            guard numbers.count == 3, values.count == 3 else {
                throw parameterError("CENTRE_LOCATION", "must be a triple of numbers, first-needle or centroid-of-tips")
            }
            centre = Vector3(x: numbers[0], y: numbers[1], z: numbers[2])
        case .string("centroid-of-tips")?:
            guard !definition.needles.isEmpty else { throw parameterError("CENTRE_LOCATION", "centroid-of-tips needs at least one needle") }
            var sum = Vector3(x: 0, y: 0, z: 0)
            for needle in definition.needles { sum = sum + (try point(needle, "NEEDLE_TIP_LOCATION")) }
            centre = sum * (1.0 / Double(definition.needles.count))
        case nil, .string("first-needle")?:
            centre = try first.map { needle throws(GSSAError) in try point(needle, "NEEDLE_TIP_LOCATION") }
        case let other?:
            throw parameterError("CENTRE_LOCATION", "unknown centre rule \(other.pythonJSON) (use a triple, first-needle or centroid-of-tips)")
        }
        if let offsetValue = parameters.value("CENTRE_OFFSET"), centre != nil {
            guard let offset = offsetValue.doubleValue else { throw parameterError("CENTRE_OFFSET", "must be a number") }
            guard let axis, axis.length > 0 else { throw parameterError("CENTRE_OFFSET", "needs a needle with distinct tip and entry") }
            centre = centre! + axis * (offset / axis.length)
        }
        if let axis { geometry.addChild(element("needleaxis", [("x", "\(axis.x)"), ("y", "\(axis.y)"), ("z", "\(axis.z)")])) }
        if let centre { geometry.addChild(element("centre", [("x", "\(centre.x)"), ("y", "\(centre.y)"), ("z", "\(centre.z)")])) }
        if let scaling = parameters.value("SIMULATION_SCALING") {
            geometry.addChild(element("simulationscaling", [("ratio", scaling.doubleValue.map { "\($0)" } ?? scaling.pythonJSON)]))
        }
        return (geometry, centre)
    }

    private func lengthScales() throws(GSSAError) -> (near: String, far: String, zone: String, needleZone: String?) {
        let high = parameters.isSet("RESOLUTION_HIGH")
        func scale(_ name: String, _ fallback: Double?) throws(GSSAError) -> String? {
            if let value = parameters.value(name) {
                guard let number = value.doubleValue, number > 0 else { throw parameterError(name, "must be a positive number") }
                return "\(number)"
            }
            return fallback.map { "\($0)" }
        }
        var needleZone = try scale("RESOLUTION_FIELD_NEEDLE_ZONE", nil)
        if needleZone == nil { needleZone = try scale("RESOLUTION_NEEDLE_ZONE_FIELD", nil) }
        return (
            try scale("RESOLUTION_FIELD_NEAR", high ? 1.0 : 2.0)!,
            try scale("RESOLUTION_FIELD_FAR", high ? 2.0 : 5.0)!,
            try scale("RESOLUTION_FIELD_ZONE", high ? 1.0 : 2.0)!,
            needleZone
        )
    }

    /// 1-based needle numbers: `needleN` → N; otherwise 1…n; shifted +1 if any is 0.
    func needleNumbers() -> [Int] {
        let parsed = definition.needles.map { needle -> Int? in
            let stripped = needle.index.hasPrefix("needle") ? String(needle.index.dropFirst(6)) : needle.index
            return Int(stripped)
        }
        var numbers = parsed.contains(nil) ? Array(1...max(1, parsed.count)).prefix(parsed.count).map { $0 } : parsed.map { $0! }
        if numbers.contains(0) { numbers = numbers.map { $0 + 1 } }
        return numbers
    }

    private func point(_ needle: Needle, _ name: String) throws(GSSAError) -> Vector3 {
        guard let values = needle.parameters.array([Double].self, name), values.count == 3 else {
            throw GSSAError.client(
                needle.parameters.contains(name) ? "\(name) must be an array of three numbers" : "\(name) is required for GSSF meshing",
                line: needle.parameters[name]?.line ?? needle.line, element: "<needle index=\"\(needle.index)\">", attribute: name)
        }
        return Vector3(x: values[0], y: values[1], z: values[2])
    }

    private func number(_ name: String) -> String? {
        guard let value = parameters.value(name) else { return nil }
        return value.doubleValue.map { "\($0)" } ?? value.pythonJSON
    }

    private func parameterError(_ name: String, _ reason: String) -> GSSAError {
        GSSAError.client("\(name) \(reason)", line: parameters[name]?.line, element: "<parameter name=\"\(name)\">", attribute: "value")
    }
}

func element(_ name: String, _ attributes: [(String, String)] = []) -> LocatedElement {
    LocatedElement(name: name, attributes: attributes.map { (name: $0.0, value: $0.1) })
}

extension LocatedElement {
    /// Appends a child element (the GSSF builders assemble documents this way).
    mutating func addChild(_ child: LocatedElement) { children.append(child) }
}
