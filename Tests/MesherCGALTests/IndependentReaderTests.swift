import Foundation
import GSSA
import GSSATestSupport
import Testing

@testable import MesherCGAL

/// Our MSH read back by programs we did not write: gmsh (Debian python3-gmsh) and meshio (pip).
@Suite("MSH checked by gmsh and meshio", .requiresPythonModule("gmsh", python: "/usr/bin/python3"),
       .requiresPythonModule("meshio"))
struct IndependentReaderTests {
    struct Counts: Decodable, Equatable {
        var nodes: Int
        var tetrahedra: Int
        var triangles: Int
        var tet_tags: [Int: Int]
        var tri_tags: [Int: Int]
        /// `"DIM:TAG"` → physical name, as the reader found it in `$PhysicalNames`.
        var names: [String: String]
    }

    static let gmshScript = """
        import sys, json, gmsh
        gmsh.initialize(); gmsh.option.setNumber("General.Terminal", 0)
        gmsh.open(sys.argv[1])
        tags, _, _ = gmsh.model.mesh.getNodes()
        out = {"nodes": len(tags), "tetrahedra": 0, "triangles": 0, "tet_tags": {}, "tri_tags": {}, "names": {}}
        for dim, ptag in gmsh.model.getPhysicalGroups():
            name = gmsh.model.getPhysicalName(dim, ptag)
            if name: out["names"]["%d:%d" % (dim, ptag)] = name
            n = 0
            for ent in gmsh.model.getEntitiesForPhysicalGroup(dim, ptag):
                types, elems, _ = gmsh.model.mesh.getElements(dim, ent)
                n += sum(len(e) for e in elems)
            key = "tet_tags" if dim == 3 else "tri_tags"
            out[key][str(ptag)] = out[key].get(str(ptag), 0) + n
            out["tetrahedra" if dim == 3 else "triangles"] += n
        print(json.dumps(out))
        """

    static let meshioScript = """
        import sys, json, meshio
        m = meshio.read(sys.argv[1])
        out = {"nodes": len(m.points), "tetrahedra": 0, "triangles": 0, "tet_tags": {}, "tri_tags": {}, "names": {}}
        for name, (tag, dim) in m.field_data.items():
            out["names"]["%d:%d" % (dim, tag)] = name
        for block, tags in zip(m.cells, m.cell_data["gmsh:physical"]):
            kind = {"tetra": "tet", "triangle": "tri"}[block.type]
            out["tetrahedra" if kind == "tet" else "triangles"] += len(block.data)
            for t in tags:
                out[kind + "_tags"][str(int(t))] = out[kind + "_tags"].get(str(int(t)), 0) + 1
            # 1-based, only used nodes: every point is referenced
        used = set()
        for block in m.cells: used.update(block.data.flatten().tolist())
        out["nodes"] = len(used) if len(used) == len(m.points) else -len(m.points)
        print(json.dumps(out))
        """

    func run(_ python: String, _ script: String, _ file: URL) async throws -> Counts? {
        let result = try await CapturedProcess.run(URL(fileURLWithPath: "/usr/bin/env"), [python, "-c", script, file.path])
        guard result.status == 0 else {
            Issue.record("\(python) reader failed: \(result.stderrText)")
            return nil
        }
        return try JSONDecoder().decode(Counts.self, from: result.stdout)
    }

    func expected(_ report: MeshReport) -> Counts {
        Counts(nodes: report.vertices, tetrahedra: report.tetrahedra, triangles: report.triangles,
               tet_tags: Dictionary(uniqueKeysWithValues: report.subdomains.map { ($0.id, $0.tetrahedra) }),
               tri_tags: Dictionary(uniqueKeysWithValues: report.boundaries.map { ($0.id, $0.triangles) }),
               names: Dictionary(
                   uniqueKeysWithValues: report.subdomains.map { ("3:\($0.id)", $0.name) }
                       + report.boundaries.map { ("2:\($0.id)", $0.name) }))
    }

    @Test(arguments: [
        MeshOutputOptions(format: .msh22, binary: false), MeshOutputOptions(format: .msh22, binary: true),
        MeshOutputOptions(format: .msh41, binary: false), MeshOutputOptions(format: .msh41, binary: true),
    ])
    func countsAndPhysicalTags(options: MeshOutputOptions) async throws {
        let scratch = try Scratch("readers-\(options.format.rawValue)-\(options.binary)")
        let organ = scratch.file("organ.stl"), zone = scratch.file("zone.stl"), vessel = scratch.file("vessel.stl")
        try TestSurfaces.writeBinarySTL(TestSurfaces.icosphere(radius: 5, level: 3), to: organ)
        try TestSurfaces.writeBinarySTL(TestSurfaces.icosphere(radius: 2, centre: [1, 0, 0], level: 3), to: zone)
        try TestSurfaces.writeBinarySTL(TestSurfaces.cylinder(radius: 0.7, from: [-2, -2, -6], to: [-2, -2, 6]), to: vessel)
        var s = MeshSettings()
        s.nearField = 0.8
        s.farField = 1.2
        s.zoneField = 0.8
        s.regions = [
            MeshRegion(name: "organ", role: .organ, geometry: .surface(organ), id: 2),
            MeshRegion(name: "zone", role: .zone, geometry: .surface(zone), id: 3),
            MeshRegion(name: "vessel", role: .vessel, geometry: .surface(vessel), id: 4),
        ]
        let result = try await CGALMesher().mesh(s, into: scratch.file("out"), options: options)
        let want = expected(result.report)
        #expect(want.tet_tags.keys.sorted() == [1, 3])
        #expect(want.tri_tags.keys.sorted() == [2, 4])
        // Region names travel in the MSH file itself ($PhysicalNames), not only in mesh_labelling.yml.
        #expect(want.names == ["3:1": "tissue", "3:3": "zone", "2:2": "organ", "2:4": "vessel"])
        if let gmsh = try await run("/usr/bin/python3", Self.gmshScript, result.mesh) {
            #expect(gmsh == want, "gmsh read \(gmsh), report says \(want)")
        }
        if let meshio = try await run("python3", Self.meshioScript, result.mesh) {
            #expect(meshio == want, "meshio read \(meshio), report says \(want)")
        }
        if !options.binary, options.format == .msh22 {
            let head = try String(contentsOf: result.mesh, encoding: .utf8).prefix(40)
            #expect(head.hasPrefix("$MeshFormat\n2.2 0 8\n"))
        }
    }
}
