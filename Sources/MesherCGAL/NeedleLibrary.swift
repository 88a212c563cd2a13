import Foundation
import GSSA

/// The parametric needle library: `library:ID` → cylinders placed by tip and axis.
///
/// The original GSSF needle library turned STEP templates into STL with PythonOCC. Ours keeps
/// the geometry as data (`Resources/needle-library.json`) and meshes the parts as analytic
/// cylinders, so adding a device is a JSON edit and no CAD kernel is needed.
public struct NeedleLibrary: Sendable, Hashable, Codable {
    /// One capped cylinder of a needle, measured along the axis from the tip.
    public struct Part: Sendable, Hashable, Codable {
        public var radius: Double
        public var from: Double
        public var to: Double
        /// Active parts become the needle zone; inactive ones a hole with the needle's inactive label.
        public var active: Bool
    }

    public struct Needle: Sendable, Hashable, Codable {
        public var description: String
        public var parts: [Part]
    }

    public var needles: [String: Needle]

    public init(needles: [String: Needle]) { self.needles = needles }

    /// Loads a library file (same format as the bundled one).
    public init(contentsOf url: URL) throws(GSSAError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw GSSAError.client("needle library not readable: \(url.path)")
        }
        do {
            self = try JSONDecoder().decode(NeedleLibrary.self, from: data)
        } catch {
            throw GSSAError.client("needle library \(url.lastPathComponent) is not valid: \(error)")
        }
        for (id, needle) in needles {
            for part in needle.parts where !(part.radius > 0 && part.to > part.from) {
                throw GSSAError.client("needle library \(url.lastPathComponent): needle \(id) has a part with non-positive radius or length")
            }
        }
    }

    /// The library shipped with gssa.
    public static func bundled() throws(GSSAError) -> NeedleLibrary {
        guard let url = Bundle.module.url(forResource: "needle-library", withExtension: "json") else {
            throw GSSAError.server("the bundled needle library is missing from the gssa installation")
        }
        return try NeedleLibrary(contentsOf: url)
    }

    /// Known IDs, sorted, for error messages and `--help`.
    public var knownIDs: [String] { needles.keys.sorted() }

    /// Looks up `id` (with or without the `library:` prefix); unknown IDs list the known ones.
    public func needle(_ id: String) throws(GSSAError) -> Needle {
        let key = id.hasPrefix("library:") ? String(id.dropFirst("library:".count)) : id
        guard let needle = needles[key] else {
            throw GSSAError.client(
                "unknown needle library id '\(key)'; known ids: \(knownIDs.joined(separator: ", "))",
                element: "<needle id=\"\(key)\">", attribute: "id")
        }
        return needle
    }

    /// Places a needle's parts: tip position, unit direction from tip towards entry, and scaling.
    public func cylinders(
        for id: String, tip: SIMD3<Double>, axis: SIMD3<Double>, scaling: Double = 1
    ) throws(GSSAError) -> [(from: SIMD3<Double>, to: SIMD3<Double>, radius: Double, active: Bool)] {
        let needle = try needle(id)
        let length = (axis * axis).sum().squareRoot()
        guard length > 0, length.isFinite else {
            throw GSSAError.client("needle '\(id)' has a zero axis (entry equals tip)", attribute: "axis")
        }
        guard scaling > 0, scaling.isFinite else {
            throw GSSAError.client("needle '\(id)' has a non-positive scaling \(scaling)", attribute: "scaling")
        }
        let unit = axis / length
        return needle.parts.map { part in
            (tip + unit * (part.from * scaling), tip + unit * (part.to * scaling), part.radius * scaling, part.active)
        }
    }
}
