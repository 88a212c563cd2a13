import Foundation
import GSSA
import Testing

@testable import MesherCGAL

/// Geometric truth with the real CGAL core: volumes, labels and holes against analytic values.
@Suite("MesherCGAL geometry (real CGAL)")
struct MesherGeometryTests {
    func sphereSettings(_ scratch: Scratch, radius: Double, size: Double, level: Int = 5) throws -> MeshSettings {
        let organ = scratch.file("organ.stl")
        try TestSurfaces.writeBinarySTL(TestSurfaces.icosphere(radius: radius, level: level), to: organ)
        var s = MeshSettings()
        s.nearField = size
        s.farField = size
        s.zoneField = size
        s.boundingRadius = nil
        s.regions = [MeshRegion(name: "organ", role: .organ, geometry: .surface(organ), id: 2)]
        return s
    }

    @Test("a meshed sphere's volume is within 1 % of 4/3·π·r³")
    func sphereVolume() async throws {
        let scratch = try Scratch()
        let r = 5.0
        let settings = try sphereSettings(scratch, radius: r, size: 0.6)
        let result = try await CGALMesher().mesh(settings, into: scratch.file("out"), options: .init())
        let exact = 4.0 / 3.0 * Double.pi * r * r * r
        let reported = result.report.subdomains.map(\.volume).reduce(0, +)
        let msh = try MshFile(contentsOf: result.mesh)
        let measured = msh.volume(tag: 1)
        #expect(abs(reported - exact) / exact < 0.01, "volume \(reported) vs \(exact)")
        #expect(abs(measured - reported) / exact < 1e-6, "MSH volume \(measured) matches the report")
        #expect(result.report.subdomains.map(\.id) == [1])
        #expect(result.report.boundaries.map(\.id) == [2])
        // Boundary triangles lie on the sphere.
        for tri in msh.triangles.prefix(500) {
            let c = msh.centroid(tri.nodes)
            #expect(abs((c * c).sum().squareRoot() - r) < 0.05)
        }
        #expect(msh.tets.allSatisfy { msh.volume($0.nodes) > 0 }, "tetrahedra are positively oriented")
    }

    @Test("nested zones: label volumes match analytic volumes, lower priority value wins")
    func nestedZones() async throws {
        let scratch = try Scratch()
        var s = try sphereSettings(scratch, radius: 6, size: 0.7, level: 4)
        let outer = scratch.file("outer.stl"), inner = scratch.file("inner.off")
        try TestSurfaces.writeASCIISTL(TestSurfaces.icosphere(radius: 3, level: 4), to: outer)
        try TestSurfaces.writeOFF(TestSurfaces.icosphere(radius: 1.5, level: 4), to: inner)
        // The inner zone has the lower priority value, so it wins where both contain the point.
        s.regions += [
            MeshRegion(name: "outer", role: .zone, geometry: .surface(outer), id: 10, characteristicLength: 0.4, priority: 1),
            MeshRegion(name: "inner", role: .zone, geometry: .surface(inner), id: 11, characteristicLength: 0.3, priority: 0),
        ]
        s.markZoneBoundaries = true
        let result = try await CGALMesher().mesh(s, into: scratch.file("out"), options: .init())
        let v = Dictionary(uniqueKeysWithValues: result.report.subdomains.map { ($0.id, $0.volume) })
        let ball = { (r: Double) in 4.0 / 3.0 * Double.pi * r * r * r }
        #expect(abs(v[11, default: 0] - ball(1.5)) / ball(1.5) < 0.03, "inner \(v[11, default: 0])")
        #expect(abs(v[10, default: 0] - (ball(3) - ball(1.5))) / (ball(3) - ball(1.5)) < 0.03, "outer \(v[10, default: 0])")
        #expect(abs(v[1, default: 0] - (ball(6) - ball(3))) / (ball(6) - ball(3)) < 0.02, "tissue \(v[1, default: 0])")
        // --mark_zone_boundaries: interfaces carry the winning zone's id.
        let boundaryIDs = Set(result.report.boundaries.map(\.id))
        #expect(boundaryIDs.isSuperset(of: [2, 10, 11]))
    }

    @Test("equal priorities: the lower id wins")
    func priorityTie() async throws {
        let scratch = try Scratch()
        var s = try sphereSettings(scratch, radius: 4, size: 0.8, level: 3)
        let a = scratch.file("a.stl"), b = scratch.file("b.stl")
        try TestSurfaces.writeBinarySTL(TestSurfaces.icosphere(radius: 2, level: 3), to: a)
        try TestSurfaces.writeBinarySTL(TestSurfaces.icosphere(radius: 2, level: 3), to: b)
        s.regions += [
            MeshRegion(name: "b", role: .zone, geometry: .surface(b), id: 21, priority: 5),
            MeshRegion(name: "a", role: .zone, geometry: .surface(a), id: 20, priority: 5),
        ]
        let result = try await CGALMesher().mesh(s, into: scratch.file("out"), options: .init())
        let ids = Set(result.report.subdomains.map(\.id))
        #expect(ids == [1, 20])
    }

    @Test("a hole's boundary facets carry its label and no tetrahedron lies inside it")
    func vesselHole() async throws {
        let scratch = try Scratch()
        var s = try sphereSettings(scratch, radius: 5, size: 0.6, level: 4)
        let vessel = scratch.file("vessel.stl")
        try TestSurfaces.writeBinarySTL(TestSurfaces.cylinder(radius: 1, from: [0, 0, -7], to: [0, 0, 7], segments: 64), to: vessel)
        s.regions.append(MeshRegion(name: "vessel", role: .vessel, geometry: .surface(vessel), id: 7))
        s.nearField = 0.3
        s.boundaryTree = true
        let result = try await CGALMesher().mesh(s, into: scratch.file("out"), options: .init())
        let msh = try MshFile(contentsOf: result.mesh)
        let holeTriangles = msh.triangles.filter { $0.tag == 7 }
        #expect(!holeTriangles.isEmpty)
        for tri in holeTriangles {
            let c = msh.centroid(tri.nodes)
            #expect(abs((c.x * c.x + c.y * c.y).squareRoot() - 1) < 0.05, "hole facet on the cylinder")
        }
        let inside = msh.tets.filter { t in
            let c = msh.centroid(t.nodes)
            return (c.x * c.x + c.y * c.y).squareRoot() < 0.95
        }
        #expect(inside.isEmpty, "\(inside.count) tetrahedra inside the hole")
        let expectedArea = 2 * Double.pi * 1 * 2 * (25.0 - 1).squareRoot()
        let area = result.report.boundaries.first { $0.id == 7 }?.area ?? 0
        #expect(abs(area - expectedArea) / expectedArea < 0.03, "hole area \(area) vs \(expectedArea)")
    }

    @Test("an activity sphere gives the inactive label exactly outside its radius")
    func activitySphere() async throws {
        let scratch = try Scratch()
        var s = try sphereSettings(scratch, radius: 6, size: 0.8, level: 4)
        let zone = scratch.file("zone.stl")
        try TestSurfaces.writeBinarySTL(TestSurfaces.icosphere(radius: 3.5, level: 4), to: zone)
        s.centre = [0, 0, 0]
        let activity = MeshActivity(offset: [1, 0, 0], radius: 2, inactiveID: 9, inactiveName: "zone inactive")
        s.regions.append(MeshRegion(name: "zone", role: .zone, geometry: .surface(zone), id: 5, characteristicLength: 0.3, activity: activity))
        let result = try await CGALMesher().mesh(s, into: scratch.file("out"), options: .init())
        let msh = try MshFile(contentsOf: result.mesh)
        let centre = SIMD3<Double>(1, 0, 0)
        let distance = { (p: SIMD3<Double>) in ((p - centre) * (p - centre)).sum().squareRoot() }
        // Active zone tetrahedra lie within the sphere, inactive boundary facets on or outside it.
        for t in msh.tets where t.tag == 5 {
            #expect(t.nodes.allSatisfy { distance(msh.nodes[$0]!) < 2 + 1e-3 })
        }
        let inactive = msh.triangles.filter { $0.tag == 9 }
        #expect(!inactive.isEmpty)
        for tri in inactive {
            #expect(tri.nodes.allSatisfy { distance(msh.nodes[$0]!) > 2 - 1e-3 })
        }
        let ball = 4.0 / 3.0 * Double.pi * 8
        let zoneVolume = result.report.subdomains.first { $0.id == 5 }?.volume ?? 0
        #expect(abs(zoneVolume - ball) / ball < 0.03, "active volume \(zoneVolume) vs \(ball)")
        let labelling = try String(contentsOf: result.labelling, encoding: .utf8)
        #expect(labelling.contains("\"zone inactive\":\n  meshed_as: surface\n  id: 9"))
    }

    @Test("library needles are meshed as labelled cylinders; 2 threads give an equivalent mesh")
    func libraryNeedleAndThreads() async throws {
        let scratch = try Scratch()
        var s = try sphereSettings(scratch, radius: 8, size: 1.5, level: 4)
        let library = try NeedleLibrary.bundled()
        let parts = try library.cylinders(for: "library:cryo-two-part-cylinder-1", tip: [0, 0, -2], axis: [0, 0, 1])
        for part in parts {
            s.regions.append(part.active
                ? MeshRegion(name: "needle-1", role: .zone, geometry: .cylinder(from: part.from, to: part.to, radius: part.radius), id: 4, characteristicLength: 0.6)
                : MeshRegion(name: "needle-1-shaft", role: .needle, geometry: .cylinder(from: part.from, to: part.to, radius: part.radius), id: 5))
        }
        s.threads = 2
        let result = try await CGALMesher().mesh(s, into: scratch.file("out"), options: .init())
        #expect(result.report.threads == 2 && result.report.tbb)
        let needleVolume = result.report.subdomains.first { $0.id == 4 }?.volume ?? 0
        // Active part: 35 mm long, radius 1.2, but the organ (r = 8) clips it at z = 8.
        let expected = Double.pi * 1.2 * 1.2 * 10
        #expect(abs(needleVolume - expected) / expected < 0.06, "needle volume \(needleVolume) vs \(expected)")
        #expect(result.report.boundaries.contains { $0.id == 2 })
        // The --max-cells estimate includes the thin-needle surface layer.
        let estimate = Double(try CGALMesher().estimate(s))
        #expect(estimate > 0.5 * Double(result.report.tetrahedra) && estimate < 2 * Double(result.report.tetrahedra),
                "estimate \(estimate) vs \(result.report.tetrahedra)")
    }
}
