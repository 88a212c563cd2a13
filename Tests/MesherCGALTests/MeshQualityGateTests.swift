@testable import MesherCGAL
import Testing

@Suite("Mesh quality gate")
struct MeshQualityGateTests {
    static func quality(_ minimum: Double, slivers: Int) -> MeshReport.Quality {
        .init(minDihedral: minimum, maxDihedral: 160, minDihedralP1: 20, minDihedralP5: 30, minDihedralP50: 50,
              maxRadiusEdgeRatio: 2, meanRadiusEdgeRatio: 0.8, sliversBelow10deg: slivers)
    }

    @Test("under 10° one warning naming the angle and the sliver count; at or over 10° none")
    func gate() {
        let warnings = MeshQualityGate.warnings(for: Self.quality(3.04, slivers: 467))
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("3.0°") == true && warnings.first?.contains("467 tetrahedra") == true, "\(warnings)")
        #expect(MeshQualityGate.warnings(for: Self.quality(10, slivers: 0)).isEmpty)
        #expect(MeshQualityGate.warnings(for: Self.quality(14.2, slivers: 0)).isEmpty)
        #expect(MeshQualityGate.warnings(for: Self.quality(.nan, slivers: 0)).count == 1)
    }
}
