import Foundation
import GSSA
import Testing

@testable import MesherCGAL

/// The core's grid point-in-solid test must give CGAL's exact answers (the mesh depends on every
/// one of them), and must answer most questions itself, or it gains nothing.
@Suite("MesherCGAL inside test (real CGAL)")
struct InsideGridTests {
    func settings(_ scratch: Scratch, _ surface: TestSurfaces.Mesh) throws -> MeshSettings {
        try TestSurfaces.organOnlySettings(scratch, surface)
    }

    /// Points a bisection meets: on the surface, and a hair either side of it.
    func nearSurface(_ m: TestSurfaces.Mesh, offsets: [Double]) -> [SIMD3<Double>] {
        var out: [SIMD3<Double>] = []
        for (a, b, c) in m.triangles {
            let pa = m.points[a], pb = m.points[b], pc = m.points[c]
            let n = TestSurfaces.normalize(TestSurfaces.cross(pb - pa, pc - pa))
            let centroid = (pa + pb + pc) / 3
            out += [pa, (pa + pb) / 2]
            for d in offsets { out.append(centroid + d * n) }
        }
        return out
    }

    @Test("a sphere: random, on-surface and near-surface points agree with CGAL's ray test")
    func sphere() throws {
        let scratch = try Scratch()
        let sphere = TestSurfaces.icosphere(radius: 10, level: 4)
        var rng = SystemRandomNumberGenerator()
        let random = (0..<20_000).map { _ in
            SIMD3<Double>(.random(in: -10.5...10.5, using: &rng), .random(in: -10.5...10.5, using: &rng), .random(in: -10.5...10.5, using: &rng))
        }
        let near = nearSurface(sphere, offsets: [-1e-9, 1e-9, -1e-3, 1e-3])
        let check = try CGALMesher().checkInsideTest(settings(scratch, sphere), points: random + near)
        #expect(check.wrong == 0, "\(check.wrong) of \(check.decided) answers differ from CGAL's")
        #expect(Double(check.decided) > 0.9 * Double(random.count + near.count), "the grid answered only \(check.decided) questions")
    }

    @Test("a box: points on its faces, edges and planes agree with CGAL's ray test")
    func box() throws {
        let scratch = try Scratch()
        let lo = SIMD3<Double>(-1.5, -2, -0.25), hi = SIMD3<Double>(2.25, 1, 3)
        let box = TestSurfaces.box(from: lo, to: hi)
        // A lattice through the faces' own coordinates: exactly on the faces, edges and corners,
        // and on their planes outside the box.
        let xs = [lo.x - 1, lo.x, -0.5, 0, 0.5, hi.x, hi.x + 1]
        let ys = [lo.y - 1, lo.y, -0.5, 0, 0.5, hi.y, hi.y + 1]
        let zs = [lo.z - 1, lo.z, 0, 1, 2, hi.z, hi.z + 1]
        var lattice: [SIMD3<Double>] = []
        for x in xs { for y in ys { for z in zs { lattice.append([x, y, z]) } } }
        let near = nearSurface(box, offsets: [-1e-12, 1e-12, -0.1, 0.1])
        let check = try CGALMesher().checkInsideTest(settings(scratch, box), points: lattice + near)
        #expect(check.wrong == 0, "\(check.wrong) of \(check.decided) answers differ from CGAL's")
        #expect(check.decided > 0)
    }
}
