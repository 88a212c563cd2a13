import Foundation
import Testing

@testable import MesherCGAL

/// `mesh_plan.json` shows geometries to people and the raw-CGAL benchmark reads them: a surface is
/// its absolute path, a cylinder its end points and radius, and anything else is refused.
@Suite("MeshGeometry coding")
struct MeshGeometryCodingTests {
    @Test("a surface and a cylinder code readably and round-trip")
    func roundTrip() throws {
        let geometries: [MeshGeometry] = [
            .surface(URL(fileURLWithPath: "/data/organ 1.stl")),
            .cylinder(from: SIMD3(-6, 0, -5), to: SIMD3(-6, 0, 5), radius: 0.5),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(geometries), as: UTF8.self)
        #expect(text == #"[{"surface":"/data/organ 1.stl"},{"cylinder":{"from":[-6,0,-5],"radius":0.5,"to":[-6,0,5]}}]"#)
        #expect(try JSONDecoder().decode([MeshGeometry].self, from: Data(text.utf8)) == geometries)
    }

    @Test("a geometry that is neither is refused with a message", arguments: [#"{}"#, #"{"sphere":1}"#, #"{"cylinder":{"from":[0,0,0]}}"#])
    func refused(json: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(MeshGeometry.self, from: Data(json.utf8)) }
    }
}
