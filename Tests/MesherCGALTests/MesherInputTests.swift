import Foundation
import GSSA
import Testing

@testable import MesherCGAL

/// Every bad input from the issue gives a GSSAError naming the file or field, never a crash.
@Suite("MesherCGAL bad input (real CGAL)")
struct MesherInputTests {
    func organSettings(_ scratch: Scratch, _ mesh: TestSurfaces.Mesh? = nil, name: String = "organ.stl") throws -> MeshSettings {
        let organ = scratch.file(name)
        let m = mesh ?? TestSurfaces.icosphere(radius: 4, level: 3)
        if name.hasSuffix(".off") { try TestSurfaces.writeOFF(m, to: organ) } else { try TestSurfaces.writeBinarySTL(m, to: organ) }
        var s = MeshSettings()
        s.nearField = 1
        s.farField = 1.5
        s.zoneField = 1
        s.regions = [MeshRegion(name: "organ", role: .organ, geometry: .surface(organ), id: 2)]
        return s
    }

    func expectError(_ settings: MeshSettings, code: ErrorCode = .client, containing fragments: [String]) async throws {
        let scratch = try Scratch()
        do {
            _ = try await CGALMesher().mesh(settings, into: scratch.file("out"), options: .init())
            Issue.record("meshing succeeded, expected an error containing \(fragments)")
        } catch let error as GSSAError {
            #expect(error.code == code, "\(error)")
            for fragment in fragments { #expect(error.description.contains(fragment), "\(error.description)") }
        }
        // No MSH (half-written or not) is left behind.
        let left = (try? FileManager.default.contentsOfDirectory(atPath: scratch.file("out").path)) ?? []
        #expect(!left.contains { $0.hasSuffix(".msh") })
    }

    @Test func missingFile() async throws {
        let scratch = try Scratch()
        var s = try organSettings(scratch)
        s.regions.append(MeshRegion(name: "tumour", role: .zone, geometry: .surface(scratch.file("nope.stl")), id: 3))
        try await expectError(s, containing: ["nope.stl", "not found"])
    }

    @Test func openSurface() async throws {
        let scratch = try Scratch()
        let s = try organSettings(scratch, TestSurfaces.cylinder(radius: 2, from: [0, 0, -2], to: [0, 0, 2], caps: false))
        try await expectError(s, containing: ["organ.stl", "not closed"])
    }

    @Test func invertedSurface() async throws {
        let scratch = try Scratch()
        let s = try organSettings(scratch, TestSurfaces.inverted(TestSurfaces.icosphere(radius: 4, level: 2)), name: "organ.off")
        try await expectError(s, containing: ["organ.off", "inverted"])
    }

    @Test func selfIntersectingSurface() async throws {
        let scratch = try Scratch()
        let two = TestSurfaces.union(TestSurfaces.icosphere(radius: 3, level: 2), TestSurfaces.icosphere(radius: 3, centre: [2, 0, 0], level: 2))
        let s = try organSettings(scratch, two)
        try await expectError(s, containing: ["organ.stl", "intersects itself"])
    }

    @Test func centreOutsideOrgan() async throws {
        let scratch = try Scratch()
        var s = try organSettings(scratch)
        s.centre = [10, 0, 0]
        try await expectError(s, containing: ["centre", "outside the organ"])
    }

    @Test func emptyResult() async throws {
        let scratch = try Scratch()
        var s = try organSettings(scratch)
        let hole = scratch.file("hole.stl")
        try TestSurfaces.writeBinarySTL(TestSurfaces.icosphere(radius: 6, level: 2), to: hole)
        s.regions.append(MeshRegion(name: "everything", role: .vessel, geometry: .surface(hole), id: 3))
        try await expectError(s, code: .model, containing: ["empty"])
    }

    @Test(arguments: [0.0, -1.0])
    func nonPositiveSizes(size: Double) async throws {
        let scratch = try Scratch()
        var s = try organSettings(scratch)
        s.nearField = size
        try await expectError(s, containing: ["nearfield", "positive"])
        s.nearField = 1
        s.farField = size
        try await expectError(s, containing: ["farfield"])
    }

    @Test func overMaxCells() async throws {
        let scratch = try Scratch()
        var s = try organSettings(scratch)
        s.nearField = 0.05
        s.farField = 0.05
        s.maxCells = 10_000
        try await expectError(s, containing: ["--max-cells 10000", "tetrahedra"])
        // The estimate is in the right ballpark of a real mesh.
        s.nearField = 0.8
        s.farField = 0.8
        s.maxCells = 10_000_000
        let estimate = try CGALMesher().estimate(s)
        let result = try await CGALMesher().mesh(s, into: scratch.file("real"), options: .init())
        let ratio = Double(estimate) / Double(result.report.tetrahedra)
        #expect(ratio > 0.33 && ratio < 3, "estimate \(estimate) vs \(result.report.tetrahedra)")
    }

    @Test func asciiAndBinarySTLAndOFFGiveTheSameDomain() async throws {
        let scratch = try Scratch()
        let sphere = TestSurfaces.icosphere(radius: 3, level: 3)
        var volumes: [Double] = []
        for name in ["a.stl", "b.off"] {
            let url = scratch.file(name)
            if name.hasSuffix(".off") { try TestSurfaces.writeOFF(sphere, to: url) } else { try TestSurfaces.writeASCIISTL(sphere, to: url) }
            var s = MeshSettings()
            s.nearField = 0.8
            s.farField = 0.8
            s.regions = [MeshRegion(name: "organ", role: .organ, geometry: .surface(url), id: 2)]
            let result = try await CGALMesher().mesh(s, into: scratch.file("out-\(name)"), options: .init())
            volumes.append(result.report.subdomains[0].volume)
        }
        #expect(abs(volumes[0] - volumes[1]) / volumes[0] < 0.02)
    }
}
