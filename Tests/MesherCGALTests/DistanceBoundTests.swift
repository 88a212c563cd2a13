import Foundation
import GSSA
import Testing

@testable import MesherCGAL

/// The size field asks a surface's distance only within the reach of its grading, with a query
/// that prunes everything farther. It must give the exact distance below the limit (the mesh
/// depends on every size) and never a value under the limit for a point beyond it.
@Suite("MesherCGAL bounded distance query (real CGAL)")
struct DistanceBoundTests {
    func settings(_ scratch: Scratch, _ surface: TestSurfaces.Mesh) throws -> MeshSettings {
        try TestSurfaces.organOnlySettings(scratch, surface)
    }

    @Test("a sphere and a box: exact below the limit, never under it beyond", arguments: [0.5, 3.0, 12.0])
    func bounded(limit: Double) throws {
        let scratch = try Scratch()
        var rng = SystemRandomNumberGenerator()
        let points = (0..<5_000).map { _ in
            SIMD3<Double>(.random(in: -25...25, using: &rng), .random(in: -25...25, using: &rng), .random(in: -25...25, using: &rng))
        }
        let surfaces = [TestSurfaces.icosphere(radius: 10, level: 4),
                        TestSurfaces.box(from: SIMD3(-8, -4, -2), to: SIMD3(6, 9, 3))]
        for surface in surfaces {
            let check = try CGALMesher().checkDistanceTest(settings(scratch, surface), points: points, limit: limit)
            #expect(check.wrong == 0, "\(check.wrong) wrong answers with limit \(limit)")
            // Both branches are exercised: points nearer than the limit and points beyond it.
            #expect(check.beyond > 0 && check.beyond < points.count, "\(check.beyond) of \(points.count) beyond \(limit)")
        }
    }
}
