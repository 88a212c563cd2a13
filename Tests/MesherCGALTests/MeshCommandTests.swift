import Foundation
import GSSA
import GSSATestSupport
import Testing

/// `gssa mesh` end to end through the built executable (batch runs spawn it anyway).
@Suite("gssa mesh command")
struct MeshCommandTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `gssa` executable built next to the test bundle.
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("gssa")
    }

    func gssa(_ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
        guard FileManager.default.isExecutableFile(atPath: Self.executable.path) else {
            Issue.record("gssa executable not built at \(Self.executable.path) (run swift build first)")
            return (-1, "", "")
        }
        let result = try await CapturedProcess.run(Self.executable, arguments)
        return (result.status, result.stdoutText, result.stderrText)
    }

    @Test("batch: one sub-folder per item, a failure does not stop the others, non-zero exit, no partial MSH")
    func batch() async throws {
        let scratch = try Scratch()
        let examples = Self.repo.appendingPathComponent("examples/mesh")
        let bad = scratch.file("broken.xml")
        try #"<gssf name="broken"><regions><surface name="o" input="input/missing.stl"/></regions><mesher><organ region="o"/></mesher></gssf>"#
            .write(to: bad, atomically: true, encoding: .utf8)
        let files = ["organ-only.xml", "tumour-zone.xml", "vessel-hole.xml"].map { examples.appendingPathComponent($0).path } + [bad.path]
        let out = scratch.file("batch")
        let run = try await gssa(["mesh", "--batch"] + files + ["--out", out.path, "-j", "2", "--no-optimise"])
        #expect(run.status == 1, "\(run.err)")
        #expect(run.out.contains("3/4 meshed"))
        #expect(run.out.contains("FAILED") && run.out.contains("missing.stl"))
        for name in ["organ-only", "tumour-zone", "vessel-hole"] {
            let folder = out.appendingPathComponent(name)
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("\(name).msh").path))
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("mesh_labelling.yml").path))
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("mesh_report.json").path))
        }
        let brokenFolder = out.appendingPathComponent("broken")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: brokenFolder.path)) ?? []
        #expect(!left.contains { $0.hasSuffix(".msh") })
        // Plain lines (not a TTY): one per finished item on stderr.
        #expect(run.err.split(separator: "\n").filter { $0.hasPrefix("ok ") || $0.hasPrefix("FAILED ") }.count == 4)
    }

    @Test("original mesher_cgal flags and --json")
    func originalFlags() async throws {
        let scratch = try Scratch()
        let input = Self.repo.appendingPathComponent("examples/mesh/input")
        let run = try await gssa([
            "mesh", "--organ", input.appendingPathComponent("organ.stl").path + ":2",
            "--zones", input.appendingPathComponent("tumour.stl").path + ":3:2:1",
            "-c", "4", "2", "0", "--nearfield", "2", "--farfield", "5", "--output_prefix", "flags",
            "--out", scratch.url.path, "--json", "--format", "msh41",
        ])
        #expect(run.status == 0, "\(run.err)")
        let json = try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any]
        let report = json?["report"] as? [String: Any]
        let subdomains = (report?["subdomains"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }
        #expect(subdomains == [1, 3])
        let head = try String(contentsOf: scratch.file("flags.msh"), encoding: .utf8).prefix(20)
        #expect(head.contains("4.1"))
    }

    @Test("a mesh under 10° minimum dihedral is warned about on stderr and in mesh_report.json")
    func qualityWarning() async throws {
        let scratch = try Scratch()
        // Without optimisation, CGAL's refinement alone leaves slivers (0.5° here).
        let run = try await gssa(["mesh", Self.repo.appendingPathComponent("examples/mesh/organ-only.xml").path,
                            "--out", scratch.url.path, "--no-optimise"])
        #expect(run.status == 0, "\(run.err)")
        let report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: scratch.file("mesh_report.json"))) as? [String: Any])
        let minimum = try #require((report["quality"] as? [String: Any])?["min_dihedral"] as? Double)
        #expect(minimum < 10)
        let warnings = try #require(report["warnings"] as? [String])
        #expect(warnings.count == 1 && warnings[0].contains(String(format: "%.1f°", minimum)), "\(warnings)")
        #expect(run.err.contains("warning: minimum dihedral angle"), "\(run.err)")
    }

    @Test("one thread: the same definition meshes to the same MSH bytes twice; the default is every core")
    func reproducibleWithOneThread() async throws {
        let scratch = try Scratch()
        let example = Self.repo.appendingPathComponent("examples/fenics-ire")
        var meshes: [Data] = []
        // The main example: with a time budget its perturbation stopped at a different point each run.
        for run in ["a", "b"] {
            let out = scratch.file(run)
            let result = try await gssa(["mesh", example.appendingPathComponent("definition.xml").path,
                                   "--inputs", example.appendingPathComponent("inputs").path, "--out", out.path, "--threads", "1"])
            #expect(result.status == 0, "\(result.err)")
            let msh = try #require(FileManager.default.contentsOfDirectory(atPath: out.path).first { $0.hasSuffix(".msh") })
            meshes.append(try Data(contentsOf: out.appendingPathComponent(msh)))
        }
        #expect(meshes.count == 2 && meshes[0].count > 100_000)
        #expect(meshes[0] == meshes[1], "two runs with one thread gave different meshes")

        let out = scratch.file("default")
        let result = try await gssa(["mesh", Self.repo.appendingPathComponent("examples/mesh/organ-only.xml").path, "--out", out.path, "--json"])
        #expect(result.status == 0, "\(result.err)")
        let report = (try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])?["report"] as? [String: Any]
        #expect(report?["threads"] as? Int == ProcessInfo.processInfo.activeProcessorCount)
    }

    /// The minimum dihedral angle `mesh_report.json` gives for one example meshed with one thread.
    func minimumDihedral(_ arguments: [String], scratch: Scratch, name: String) async throws -> Double? {
        let out = scratch.file(name)
        let run = try await gssa(["mesh"] + arguments + ["--out", out.path, "--threads", "1"])
        #expect(run.status == 0, "\(name): \(run.err)")
        let data = try Data(contentsOf: out.appendingPathComponent("mesh_report.json"))
        let report = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return (report?["quality"] as? [String: Any])?["min_dihedral"] as? Double
    }

    @Test("the mesh examples reach the 10-degree minimum dihedral target (issue 12)")
    func examplesReachTheDihedralTarget() async throws {
        let scratch = try Scratch()
        let examples = Self.repo.appendingPathComponent("examples/mesh")
        for name in ["organ-only", "tumour-zone", "vessel-hole"] {
            let minimum = try await minimumDihedral([examples.appendingPathComponent("\(name).xml").path], scratch: scratch, name: name)
            #expect((minimum ?? 0) >= 10, "\(name): minimum dihedral \(String(describing: minimum))")
        }
        // Thin needle cylinders keep slivers between surface vertices that neither the perturber
        // nor the exuder removes (7.5 degrees today; examples/fenics-ire, meshed twice by
        // reproducibleWithOneThread, 4.0; docs/performance.md): a known issue, so that the day
        // they reach the target this test says so.
        let needles = try await minimumDihedral([examples.appendingPathComponent("needles.xml").path], scratch: scratch, name: "needles")
        withKnownIssue("needle examples keep slivers under 10 degrees (issue 12 item 1)") {
            #expect((needles ?? 0) >= 10, "needles: \(String(describing: needles))")
        }
        #expect((needles ?? 0) >= 7, "needles regressed below today's 7.5 degrees: \(String(describing: needles))")
    }

    @Test("bad input exits 2 with E_CLIENT on stderr")
    func badInput() async throws {
        let scratch = try Scratch()
        let run = try await gssa(["mesh", scratch.file("nope.xml").path, "--out", scratch.url.path])
        #expect(run.status == 2)
        #expect(run.err.hasPrefix("E_CLIENT:") && run.err.contains("nope.xml"))
        let sizes = try await gssa(["mesh", "--organ", "x.stl:2", "--nearfield", "-1", "--out", scratch.url.path])
        #expect(sizes.status == 2)
    }
}
