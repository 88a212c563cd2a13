import Foundation
import Testing

/// `gssa run` through the real pipeline: GSSA-XML → GSSF-XML → host CGAL mesh → launch daemon →
/// container → results. Needs dockerd and the images (`images/build.sh all`); under CI=true a
/// missing engine fails these tests rather than skipping them.
@Suite(.serialized) struct RunPipelineTests {
    /// The static runner: `GSSA_RUNNER_BIN`, else built once with scripts/build-runner.
    static let runner: String = {
        if let path = ProcessInfo.processInfo.environment["GSSA_RUNNER_BIN"], !path.isEmpty { return path }
        let process = Process()
        process.executableURL = GSSABinary.repositoryRoot.appendingPathComponent("scripts/build-runner")
        let pipe = Pipe()
        process.standardOutput = pipe
        try? process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    private func run(_ definition: String, _ arguments: [String] = []) async throws -> (GSSABinary.Result, [String: Any]) {
        let data = scratchDirectory()
        let result = try await GSSABinary.run(
            ["run", definition, "--data", data.path, "--json"] + arguments,
            environment: ["GSSA_RUNNER_BIN": Self.runner, "GSSA_DAEMON_SOCKET": data.appendingPathComponent("none.sock").path])
        let report = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
        return (result, report)
    }

    @Test func analyticConcentricSpheresWithinTwoPercent() async throws {
        let (result, report) = try await run(GSSABinary.example("concentric-spheres/definition.xml"))
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
        #expect((report["status"] as? [String: Any])?["code"] as? String == "SUCCESS")
        let summaryPath = try #require(report["summary"] as? String)
        let summary = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summaryPath))) as? [String: Any])
        let probes = try #require(summary["probes"] as? [[String: Any]])
        #expect(probes.count == 25)
        for probe in probes {
            let value = try #require(probe["value"] as? Double)
            let r = try #require(probe["r"] as? Double)
            // V(r) = a + b/r with V(5) = 1 and V(25) = 0, computed here independently.
            let exact = (1.0 / r - 1.0 / 25.0) / (1.0 / 5.0 - 1.0 / 25.0)
            #expect(abs(value - exact) / exact < 0.02, "V(\(r)) = \(value), exact \(exact)")
        }
        let results = try #require(report["results"] as? String)
        #expect(FileManager.default.fileExists(atPath: results))

        // The XDMF result carries each cell's region tag (electrode and tissue), cell by cell
        // those of input.msh.
        let directory = try #require(report["directory"] as? String)
        let tags = try #require(summary["region_tags"] as? [String: Int], "\(summary)")
        #expect(Set(tags.keys) == ["electrode", "tissue"], "\(tags)")
        let xdmf = URL(fileURLWithPath: summaryPath).deletingLastPathComponent().appendingPathComponent("potential.xdmf").path
        let found = try await Self.regionTags(msh: directory + "/input/input.msh", xdmfs: [xdmf])
        #expect(found[xdmf]?.same == true, "region tags differ from input.msh's physical tags: \(found)")
        #expect(found[xdmf]?.tags == tags.values.sorted(), "\(found)")
        #expect(found[xdmf]?.points == ["potential"], "\(found)")
    }

    @Test func fenicsExampleWritesSummaryAndAValidPreview() async throws {
        let (result, report) = try await run(
            GSSABinary.example("fenics-ire/definition.xml"), ["--inputs", GSSABinary.example("fenics-ire/inputs")])
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
        let summaryPath = try #require(report["summary"] as? String)
        let summary = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summaryPath))) as? [String: Any])
        let above = try #require(summary["volume_above_threshold_mm3"] as? [String: Double])
        let volumes = try #require(summary["volume_mm3"] as? [String: Double])
        // The field is strongest between the needles, inside the tumour: part of it, not all.
        #expect((above["tumour-1"] ?? 0) > 0)
        #expect((above["tumour-1"] ?? 0) < (volumes["tumour-1"] ?? 0))
        let preview = try #require(report["preview"] as? String)
        let (width, height) = try PNGCheck.validate(URL(fileURLWithPath: preview))
        #expect(width > 100 && height > 100)

        // The XDMF results open in meshio (which needs h5py for their HDF5 data; scripts/deps installs it).
        let xdmf = URL(fileURLWithPath: summaryPath).deletingLastPathComponent().appendingPathComponent("potential.xdmf")
        let read = try await GSSABinary.runTool(
            "/usr/bin/env", ["python3", "-c", "import sys, meshio; m = meshio.read(sys.argv[1]); print(len(m.points), sum(len(c.data) for c in m.cells))", xdmf.path])
        #expect(read.status == 0, "meshio could not read \(xdmf.path): \(read.stderr)")
        let counts = read.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(counts.count == 2 && counts[0] > 1000 && counts[1] > 1000, "\(read.stdout)")

        // Both XDMF files carry each cell's region tag, equal cell by cell to the physical tag of
        // the tetrahedron in input.msh, and every tag is a region that summary.json names.
        let directory = try #require(report["directory"] as? String)
        let msh = URL(fileURLWithPath: directory).appendingPathComponent("input/input.msh")
        let tags = try #require(summary["region_tags"] as? [String: Int])
        #expect(Set(tags.keys).isSuperset(of: ["tissue", "tumour-1"]), "\(tags)")
        let script = """
            import json, sys, meshio, numpy
            msh = meshio.read(sys.argv[1])
            physical = numpy.concatenate([data for block, data in zip(msh.cells, msh.cell_data["gmsh:physical"]) if block.type == "tetra"])
            out = {}
            for path in sys.argv[2:]:
                x = meshio.read(path)
                region = numpy.concatenate(x.cell_data["region"])
                out[path] = {"same": bool(len(region) == len(physical) and (region == physical).all()),
                             "tags": sorted(int(t) for t in set(region.tolist())), "data": sorted(x.cell_data)}
            print(json.dumps(out))
            """
        let xdmfs = ["potential.xdmf", "field.xdmf"].map { URL(fileURLWithPath: summaryPath).deletingLastPathComponent().appendingPathComponent($0).path }
        let check = try await GSSABinary.runTool("/usr/bin/env", ["python3", "-c", script, msh.path] + xdmfs)
        #expect(check.status == 0, "\(check.stderr)")
        let found = try #require(JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: [String: Any]], "\(check.stdout)")
        for path in xdmfs {
            let entry = try #require(found[path], "\(found)")
            #expect(entry["same"] as? Bool == true, "\(path): region tags differ from input.msh's physical tags")
            #expect(entry["tags"] as? [Int] == tags.values.sorted(), "\(path): \(entry)")
        }
        #expect((found[xdmfs[1]]?["data"] as? [String]) == ["field", "region"])

        // The run reports the mesh quality gate exactly when the host mesh misses it.
        let meshReport = try #require(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent("mesh_report.json"))) as? [String: Any])
        let minimum = try #require((meshReport["quality"] as? [String: Any])?["min_dihedral"] as? Double)
        let warnings = try #require(report["warnings"] as? [String])
        #expect(warnings.contains { $0.contains("minimum dihedral") } == (minimum < 10), "min dihedral \(minimum): \(warnings)")
    }

    /// A definition that uploads its own mesh (format `mesh`) skips host meshing and is solved on
    /// that mesh as is: here one made by gmsh, an independent mesher.
    @Test func uploadedMeshSkipsHostMeshing() async throws {
        let folder = scratchDirectory()
        try """
            SetFactory("OpenCASCADE");
            Sphere(1) = {0, 0, 0, 10};
            Physical Volume(7) = {1};
            Physical Surface(9) = {1};
            Mesh.MeshSizeMax = 4;
            """.write(to: folder.appendingPathComponent("sphere.geo"), atomically: true, encoding: .utf8)
        let gmsh = Process()
        gmsh.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gmsh.arguments = ["gmsh", "-3", "-format", "msh22", "-o", folder.appendingPathComponent("sphere.msh").path, folder.appendingPathComponent("sphere.geo").path]
        gmsh.standardOutput = FileHandle.nullDevice
        try gmsh.run()
        gmsh.waitUntilExit()
        #expect(gmsh.terminationStatus == 0)
        let msh = try String(contentsOf: folder.appendingPathComponent("sphere.msh"), encoding: .utf8)
        let tetrahedra = msh.split(separator: "\n").filter { $0.split(separator: " ").dropFirst().first == "4" }.count
        #expect(tetrahedra > 100)
        try """
            <simulationDefinition><transferrer class="tmp"/><numericalModel>
            <regions><region id="patient" name="mesh" format="mesh" input="sphere.msh" groups='[]'/></regions>
            <definition family="fenics"><![CDATA[
            import json, os
            import dolfin
            import gosmart.mesh
            mesh, subdomains, boundaries = gosmart.mesh.load()
            os.makedirs("output", exist_ok=True)
            json.dump({"cells": mesh.num_cells(), "subdomains": sorted(set(int(v) for v in subdomains.array())),
                       "boundaries": sorted(set(int(v) for v in boundaries.array()) - {0}),
                       "volume": dolfin.assemble(dolfin.Constant(1.0) * dolfin.dx(domain=mesh))},
                      open("output/summary.json", "w"))
            ]]></definition></numericalModel></simulationDefinition>
            """.write(to: folder.appendingPathComponent("uploaded.xml"), atomically: true, encoding: .utf8)
        let (result, report) = try await run(folder.appendingPathComponent("uploaded.xml").path)
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
        #expect((report["stages"] as? [String: Double])?["mesh"] == nil, "no host meshing stage")
        let summaryPath = try #require(report["summary"] as? String)
        let summary = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summaryPath))) as? [String: Any])
        #expect(summary["cells"] as? Int == tetrahedra)
        #expect(summary["subdomains"] as? [Int] == [7])
        #expect(summary["boundaries"] as? [Int] == [9])
        let volume = try #require(summary["volume"] as? Double)
        #expect(abs(volume - 4.0 / 3.0 * Double.pi * 1000) / (4.0 / 3.0 * Double.pi * 1000) < 0.05)
    }

    @Test func brokenStartScriptIsAModelErrorWithTheTraceback() async throws {
        let definition = scratchDirectory().appendingPathComponent("broken.xml")
        try """
            <simulationDefinition><transferrer class="tmp"/><numericalModel>
            <definition family="python-demo"><![CDATA[
            import gosmart
            def broken(:
                pass
            ]]></definition></numericalModel></simulationDefinition>
            """.write(to: definition, atomically: true, encoding: .utf8)
        let (result, report) = try await run(definition.path)
        #expect(result.status == 4, "\(result.stderr)")
        let status = try #require(report["status"] as? [String: Any])
        #expect(status["code"] as? String == "E_MODEL")
        let message = try #require(status["message"] as? String)
        #expect(message.contains("SyntaxError: invalid syntax"))
        #expect(message.contains("def broken(:"))
        // The traceback counts lines of the XML file, where `def broken(:` is line 4.
        #expect(message.contains("line 4"), "\(message)")
        #expect(report["results"] as? String != nil)  // the diagnostic bundle
    }

    /// `gssa inspect --run` re-runs a diagnostic bundle kept anywhere (here outside every data
    /// root), in its family's image by name, through a private daemon, printing progress.
    @Test func inspectRerunsADiagnosticBundleFromAnywhere() async throws {
        let definition = scratchDirectory().appendingPathComponent("failing.xml")
        try """
            <simulationDefinition><transferrer class="tmp"/><numericalModel>
            <definition family="python-demo"><![CDATA[
            import gosmart
            gosmart.setup(parameters=False)
            from gosmart.parameters import update
            update.status("about to fail", 50)
            raise ValueError("inspect me")
            ]]></definition></numericalModel></simulationDefinition>
            """.write(to: definition, atomically: true, encoding: .utf8)
        let (result, report) = try await run(definition.path)
        #expect(result.status == 4, "\(result.stderr)")
        let diagnostic = try #require(report["results"] as? String)
        let elsewhere = scratchDirectory().appendingPathComponent("kept/bundle.tar.gz")
        try FileManager.default.createDirectory(at: elsewhere.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: diagnostic), to: elsewhere)

        let data = scratchDirectory()
        let inspect = try await GSSABinary.run(
            ["inspect", elsewhere.path, "--run", "--data", data.path, "--json"],
            environment: ["GSSA_RUNNER_BIN": Self.runner, "GSSA_LAUNCHER_SOCKET": data.appendingPathComponent("none.sock").path])
        #expect(inspect.status == 0, "\(inspect.stderr)\n\(inspect.stdout)")
        let answer = try #require(JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any], "\(inspect.stdout)")
        let rerun = try #require(answer["rerun"] as? [String: Any], "\(answer)")
        #expect(rerun["code"] as? String == "E_MODEL")
        #expect((rerun["message"] as? String)?.contains("inspect me") == true, "\(rerun)")
        // Progress as it happens: staging, the start (by image name) and the run's own status line.
        let lines = inspect.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("[inspect] staging ") }, "\(inspect.stderr)")
        #expect(lines.contains { $0.hasPrefix("[inspect] started ") && $0.contains("(image gssa/python:bookworm)") }, "\(inspect.stderr)")
        #expect(lines.contains { $0.contains("about to fail") }, "\(inspect.stderr)")
        // The output comes back beside the unpacked bundle; the staging folder is gone.
        let directory = try #require(answer["directory"] as? String)
        #expect(FileManager.default.fileExists(atPath: directory + "/output/logs"), "\((try? FileManager.default.subpathsOfDirectory(atPath: directory)) ?? [])")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("inspect").path)) ?? []).isEmpty)
    }

    @Test func endlessScriptIsKilledAtTheWalltime() async throws {
        let definition = scratchDirectory().appendingPathComponent("forever.xml")
        try """
            <simulationDefinition><transferrer class="tmp"/><numericalModel>
            <definition family="python-demo"><![CDATA[
            import time
            time.sleep(3600)
            ]]></definition></numericalModel></simulationDefinition>
            """.write(to: definition, atomically: true, encoding: .utf8)
        let started = Date()
        let (result, report) = try await run(definition.path, ["--walltime", "4"])
        #expect(Date().timeIntervalSince(started) < 120)
        // A run over its walltime is the model's: E_MODEL, "timed out after N s", in the exit
        // status, the report and the run's own exit_status file alike.
        #expect(result.status == 4, "\(result.stderr)")
        let status = try #require(report["status"] as? [String: Any])
        #expect(status["code"] as? String == "E_MODEL", "\(status)")
        #expect((status["message"] as? String)?.contains("timed out after 4 s") == true, "\(status)")
    }

    // MARK: every example in examples/ runs (the meshing-only ones in MeshCommandTests.batch)

    @Test func pythonDemoExampleComputesItsCoolingCurve() async throws {
        let (result, report) = try await run(GSSABinary.example("python-demo/definition.xml"))
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
        let summary = try Self.summary(report)
        // T(t) = 37·exp(−0.05·t) at t = 60, computed here.
        let final = try #require(summary["final_temperature"] as? Double)
        #expect(abs(final - 37.0 * exp(-0.05 * 60)) < 1e-6, "\(final)")
        #expect(summary["tumours"] as? [String] == ["tumour-1"])
    }

    @Test func inlineHeaderExampleRunsWithoutMakingItsOutputFolder() async throws {
        let (result, report) = try await run(GSSABinary.example("inline-header/definition.xml"))
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
        let summary = try Self.summary(report)
        #expect(summary["points"] as? Int == 31)
        let final = try #require(summary["final_temperature"] as? Double)
        #expect(abs(final - 37.0 * exp(-0.05 * 30)) < 1e-6, "\(final)")
    }

    @Test func gmshBioheatExampleMeshesInsideItsImage() async throws {
        let (result, report) = try await run(GSSABinary.example("gmsh-bioheat/definition.xml"))
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
        #expect((report["stages"] as? [String: Double])?["mesh"] == nil, "Docker-only: no host meshing stage")
        let summary = try Self.summary(report)
        let maximum = try #require(summary["max_temperature"] as? Double)
        // Heated by the needle above the body temperature it starts from.
        #expect(maximum > 37.0, "\(summary)")
        #expect((summary["tetrahedra"] as? Int ?? 0) > 1000)

        // Its XDMF result carries each cell's region tag, cell by cell the physical tags of the
        // mesh gmsh made in the container (returned as output/mesh.msh, with the region's name).
        let output = URL(fileURLWithPath: try #require(report["summary"] as? String)).deletingLastPathComponent().path
        let xdmf = output + "/temperature.xdmf"
        let found = try await Self.regionTags(msh: output + "/mesh.msh", xdmfs: [xdmf])
        #expect(found[xdmf]?.same == true, "region tags differ from mesh.msh's physical tags: \(found)")
        #expect(found[xdmf]?.tags == [1], "\(found)")
        #expect(found[xdmf]?.cells == summary["tetrahedra"] as? Int, "\(found)")
        #expect(found[xdmf]?.points == ["temperature"], "\(found)")
        #expect(summary["region_tags"] as? [String: Int] == ["organ-1": 1], "\(summary)")
        let mesh = try String(contentsOfFile: output + "/mesh.msh", encoding: .utf8)
        #expect(mesh.contains("$PhysicalNames") && mesh.contains("\"organ-1\""))
    }

    /// What one XDMF result holds, read back with meshio (+ h5py): whether its `region` cell data
    /// equals, cell by cell, the physical tags of the tetrahedra of the mesh it was solved on.
    struct RegionTags: Decodable {
        var same: Bool
        var tags: [Int]
        var cells: Int
        var points: [String]
    }

    static func regionTags(msh: String, xdmfs: [String]) async throws -> [String: RegionTags] {
        let script = """
            import json, sys, meshio, numpy
            msh = meshio.read(sys.argv[1])
            physical = numpy.concatenate([data for block, data in zip(msh.cells, msh.cell_data["gmsh:physical"]) if block.type == "tetra"])
            out = {}
            for path in sys.argv[2:]:
                x = meshio.read(path)
                region = numpy.concatenate(x.cell_data["region"])
                out[path] = {"same": bool(len(region) == len(physical) and (region == physical).all()),
                             "tags": sorted(int(t) for t in set(region.tolist())), "cells": int(len(region)),
                             "points": sorted(x.point_data)}
            print(json.dumps(out))
            """
        let check = try await GSSABinary.runTool("/usr/bin/env", ["python3", "-c", script, msh] + xdmfs)
        #expect(check.status == 0, "\(check.stderr)")
        return try JSONDecoder().decode([String: RegionTags].self, from: Data(check.stdout.utf8))
    }

    static func summary(_ report: [String: Any]) throws -> [String: Any] {
        let path = try #require(report["summary"] as? String, "no summary in \(report)")
        return try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }
}

/// Checks a PNG the way a decoder would: signature, chunk CRCs, and that the inflated image data
/// has exactly the size the header promises. Uses Python's zlib for the inflate.
enum PNGCheck {
    static func validate(_ url: URL) throws -> (Int, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import struct, sys, zlib
            data = open(sys.argv[1], "rb").read()
            assert data[:8] == b"\\x89PNG\\r\\n\\x1a\\n", "signature"
            pos, idat, header = 8, b"", None
            while pos < len(data):
                length, kind = struct.unpack(">I4s", data[pos:pos + 8])
                body = data[pos + 8:pos + 8 + length]
                crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
                assert zlib.crc32(kind + body) & 0xffffffff == crc, "crc of %r" % kind
                if kind == b"IHDR": header = struct.unpack(">IIBBBBB", body)
                if kind == b"IDAT": idat += body
                pos += 12 + length
                if kind == b"IEND": break
            width, height, depth, colour = header[:4]
            channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
            raw = zlib.decompress(idat)
            assert len(raw) == height * (1 + (width * channels * depth + 7) // 8), "size"
            print(width, height)
            """, url.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let numbers = output.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard process.terminationStatus == 0, numbers.count == 2 else {
            throw NSError(domain: "PNGCheck", code: Int(process.terminationStatus), userInfo: [NSLocalizedDescriptionKey: "\(url.path) is not a valid PNG"])
        }
        return (numbers[0], numbers[1])
    }
}
