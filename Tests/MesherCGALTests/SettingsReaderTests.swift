import Families
import Foundation
import GSSA
import MesherCGALTesting
import Testing

@testable import MesherCGAL

/// GSSF-XML (the mixin's real output) and mesher_cgal flags → MeshSettings.
@Suite("MesherCGAL settings readers")
struct SettingsReaderTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the mixin's real GSSF-XML for the IRE example is read and meshed")
    func mixinOutputMeshes() async throws {
        let scratch = try Scratch()
        let example = Self.repo.appendingPathComponent("examples/fenics-ire")
        let definition = try SimulationDefinition.parse(contentsOf: example.appendingPathComponent("definition.xml"))
        let family = try FamilyRegistry.standard().family(for: definition)
        let configuration = try family.configure(definition)
        _ = try configuration.write(to: scratch.url, inputs: example.appendingPathComponent("inputs"))
        let settings = try GSSFSettingsReader().read(contentsOf: scratch.file("input/settings.xml"))
        #expect(settings.centre == [0, 0, -5])
        #expect(settings.boundingRadius == 45)
        #expect(settings.nearField == 1.5 && settings.farField == 6 && settings.zoneField == 2.5 && settings.needleZoneField == 1)
        #expect(settings.markZoneBoundaries && settings.denseCentre)
        let byName = Dictionary(grouping: settings.regions, by: \.name)
        #expect(byName["organ-1"]?.first?.role == .organ)
        #expect(byName["tumour-1"]?.first?.role == .zone)
        #expect(byName["needle-1"]?.first?.activity?.radius == 10)
        #expect(byName["needle-1"]?.first?.activity?.offset == [-6, 0, 0])
        #expect(byName["needle-2-shaft"]?.first?.role == .needle)
        // Ids are clash-free across regions.
        let ids = settings.regions.map(\.id) + settings.regions.compactMap { $0.activity?.inactiveID }
        #expect(Set(ids).count == Set(settings.regions.map(\.name)).count + settings.regions.filter { $0.activity != nil }.map(\.name).uniqued().count)
        #expect(!ids.contains(1), "1 is the extent (surfaces) and the tissue (volumes)")

        var coarse = settings
        coarse.optimiseTimeLimit = 1
        let result = try await CGALMesher().mesh(coarse, into: scratch.file("mesher"), options: .init())
        #expect(result.mesh.lastPathComponent == "elmer_libnuma.msh")
        let tags = Set(result.report.subdomains.map(\.id))
        #expect(tags.isSuperset(of: [1, byName["tumour-1"]![0].id, byName["needle-1"]![0].id, byName["needle-2"]![0].id]))
        let boundaries = Set(result.report.boundaries.map(\.id))
        #expect(boundaries.contains(byName["organ-1"]![0].id))
        #expect(boundaries.contains(byName["needle-1"]![0].activity!.inactiveID))
    }

    @Test("the quickstart golden GSSF-XML resolves library needles and reports missing surfaces by path")
    func quickstartGolden() throws {
        let golden = Self.repo.appendingPathComponent("Tests/FamiliesTests/Golden/quickstart.gssf.xml")
        let scratch = try Scratch()
        let settingsFile = scratch.file("input/settings.xml")
        try FileManager.default.createDirectory(at: settingsFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: golden, to: settingsFile)
        let missing = readError(settingsFile)
        #expect(missing?.code == .client)
        #expect(missing?.description.contains("input/organ-1.stl") == true)
        // With the surfaces next to settings.xml's parent (the `gssa configure` layout) it reads.
        for name in ["organ-1", "vessel-1", "vessel-2", "tumour-1"] {
            try TestSurfaces.writeBinarySTL(TestSurfaces.icosphere(radius: 30, level: 1), to: scratch.file("input/\(name).stl"))
        }
        let settings = try GSSFSettingsReader().read(contentsOf: settingsFile)
        #expect(settings.name == "elmer_libnuma")
        let needles = settings.regions.filter { $0.name.hasPrefix("needle-") }
        #expect(needles.count == 3)
        // centre (0,14,0) + offset (0,-14,0) = tip at the origin; rfa-cylinder-1 has radius 0.75.
        #expect(needles[1].geometry == .cylinder(from: [0, 0, 0], to: [100, 0, 0], radius: 0.75))
        #expect(needles.allSatisfy { $0.characteristicLength == 2 && $0.priority == 0 && $0.activity?.radius == 20 })
        #expect(!settings.regions.contains { $0.name == "tumour-1" }, "regions absent from <mesher> are not meshed")
    }

    @Test("unknown needle library ids list the known ones")
    func unknownNeedle() throws {
        let library = try NeedleLibrary.bundled()
        for id in ["rfa-cylinder-1", "ire-two-cylinder-1cm", "cryo-two-part-cylinder-1", "mwa-cooled"] {
            #expect(throws: Never.self) { _ = try library.needle("library:\(id)") }
        }
        do {
            _ = try library.needle("library:laser-fibre-9")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .client)
            #expect(error.reason.contains("laser-fibre-9") && error.reason.contains("rfa-cylinder-1") && error.reason.contains("mwa-cooled"))
        }
    }

    @Test("path traversal and bad numbers in GSSF-XML are refused with the element")
    func badGSSF() throws {
        let scratch = try Scratch()
        let cases: [(String, String)] = [
            (#"<gssf><regions><surface name="o" input="../o.stl"/></regions><mesher><organ region="o"/></mesher></gssf>"#, "must be relative"),
            (#"<gssf><mesher><lengthscales nearfield="abc"/></mesher></gssf>"#, "nearfield"),
            (#"<gssf><mesher><zone region="ghost"/></mesher></gssf>"#, "ghost"),
            (#"<simulationDefinition/>"#, "expected <gssf>"),
            (#"<gssf><geometry><centre x="0" y="0" z="0"/></geometry><needlelibrary><needle id="nope" name="1" offset="0 0 0" axis="1 0 0"/></needlelibrary><mesher/></gssf>"#, "known ids"),
            (#"<gssf><mesher"#, "malformed"),
        ]
        for (xml, fragment) in cases {
            let url = scratch.file("s.xml")
            try xml.write(to: url, atomically: true, encoding: .utf8)
            let error = readError(url)
            #expect(error?.code == .client, "accepted: \(xml)")
            #expect(error?.description.contains(fragment) == true, "\(String(describing: error))")
        }
    }

    @Test("original mesher_cgal flags map onto MeshSettings")
    func originalFlags() throws {
        let cwd = URL(fileURLWithPath: "/data")
        let flags = try MesherCGALFlags.parse(
            ["--organ", "organ.stl:2", "-Z", "t.stl:3:0.5:1:1_0_-2_5_9", "z2.stl:4", "--vessels", "v1.stl:5", "/abs/v2.stl:6",
             "-c", "-1.5", "0", "2", "--nearfield", "0.4", "-f", "4", "--zonefield", "0.6", "-g", "2", "-R", "40", "--tissueid", "7",
             "--mark_zone_boundaries", "--dense_centre", "--omit-needles-tree", "-p", "out/run1", "--out", "DIR", "--threads", "2"],
            relativeTo: cwd)
        let s = flags.settings
        #expect(flags.used)
        #expect(flags.remaining == ["--out", "DIR", "--threads", "2"])
        #expect(s.name == "run1")
        #expect(s.centre == [-1.5, 0, 2])
        #expect(s.nearField == 0.4 && s.farField == 4 && s.zoneField == 0.6 && s.granularity == 2 && s.boundingRadius == 40)
        #expect(s.tissueID == 7 && s.markZoneBoundaries && s.denseCentre && s.omitNeedleTree)
        #expect(s.regions.map(\.id) == [2, 3, 4, 5, 6])
        #expect(s.regions.map(\.role) == [.organ, .zone, .zone, .vessel, .vessel])
        #expect(s.regions[0].geometry == .surface(URL(fileURLWithPath: "/data/organ.stl")))
        #expect(s.regions[4].geometry == .surface(URL(fileURLWithPath: "/abs/v2.stl")))
        #expect(s.regions[1].characteristicLength == 0.5 && s.regions[1].priority == 1)
        #expect(s.regions[1].activity?.offset == [1, 0, -2] && s.regions[1].activity?.radius == 5 && s.regions[1].activity?.inactiveID == 9)
        #expect(s.regions[2].characteristicLength == nil)

        #expect(throws: GSSAError.self) { try MesherCGALFlags.parse(["--organ", "organ.stl"], relativeTo: cwd) }
        #expect(throws: GSSAError.self) { try MesherCGALFlags.parse(["--zones", "z.stl:3:x"], relativeTo: cwd) }
        #expect(throws: GSSAError.self) { try MesherCGALFlags.parse(["--number_from_zero"], relativeTo: cwd) }
    }
}

func readError(_ url: URL) -> GSSAError? {
    do {
        _ = try GSSFSettingsReader().read(contentsOf: url)
        return nil
    } catch {
        return error
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}

@Suite("InMemoryMesher")
struct InMemoryMesherTests {
    @Test("records settings, validates like the real mesher, writes the three outputs")
    func fake() async throws {
        let scratch = try Scratch()
        let mesher = InMemoryMesher()
        var s = MeshSettings()
        s.centre = [0, 0, 0]
        s.name = "fake"
        let result = try await mesher.mesh(s, into: scratch.url, options: .init())
        #expect(await mesher.received.count == 1)
        #expect(FileManager.default.fileExists(atPath: result.mesh.path))
        #expect(try MshFile(contentsOf: result.mesh).tets.count == 1)
        s.farField = 0
        await #expect(throws: GSSAError.self) { _ = try await mesher.mesh(s, into: scratch.url, options: .init()) }
    }
}
