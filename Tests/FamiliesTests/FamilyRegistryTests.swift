import Foundation
import GSSA
import Testing
@testable import Families

@Suite struct FamilyRegistryTests {
    @Test func unknownFamilyListsTheKnownOnes() throws {
        let registry = FamilyRegistry.standard(searchPath: [])
        let definition = try SimulationDefinition.parse(definitionXML(family: "openfoam"))
        do {
            _ = try registry.family(for: definition)
            Issue.record("unknown family accepted")
        } catch {
            #expect(error.code == .client)
            #expect(error.message.contains("unknown family 'openfoam' (known: elmer-libnuma, fenics)"))
            #expect(error.line == 7)
        }
    }

    @Test func dropInFolderIsFoundWithoutRecompiling() throws {
        let root = temporaryDirectory("families")
        let folder = root.appendingPathComponent("heat")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try """
            image: gssa/python:bookworm
            workflow: docker-only
            interpreter: python3 -u
            retrievable: [run/output/result.csv]
            parameters: {CONSTANT_K: float}
            """.write(to: folder.appendingPathComponent("family.yml"), atomically: true, encoding: .utf8)
        try "print('heat')\n".write(to: folder.appendingPathComponent("start.py"), atomically: true, encoding: .utf8)
        let broken = root.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try "workflow: sideways\n".write(to: broken.appendingPathComponent("family.yml"), atomically: true, encoding: .utf8)

        let registry = FamilyRegistry.standard(searchPath: [root])
        #expect(registry.names.sorted() == ["elmer-libnuma", "fenics", "heat"])
        let heat = try registry.family(named: "heat")
        #expect(heat.workflow == .dockerOnly)
        #expect(heat.image == "gssa/python:bookworm")
        #expect(heat.interpreter == "python3 -u")
        #expect(heat.retrievableFiles.contains("run/output/result.csv"))
        #expect(registry.problems.count == 1)
        #expect(registry.problems.first?.error.message.contains("family.yml") == true)
        do {
            _ = try registry.family(named: "broken")
            Issue.record("broken family accepted")
        } catch {
            #expect(error.message.contains("failed to load"))
        }

        // An empty definition runs the family's own script, with its declared parameters.
        let configuration = try heat.configure(SimulationDefinition.parse(definitionXML(family: "heat", body: "")))
        let tarball = try #require(configuration.generatedFile("input/start.tar.gz"))
        let directory = temporaryDirectory()
        try tarball.contents.write(to: directory.appendingPathComponent("s.tar.gz"))
        _ = try GSSAArchiveShim.extract(directory.appendingPathComponent("s.tar.gz"), into: directory.appendingPathComponent("x"))
        #expect(try String(contentsOf: directory.appendingPathComponent("x/start.py"), encoding: .utf8) == "print('heat')\n")
        #expect(try String(contentsOf: directory.appendingPathComponent("x/parameters.yml"), encoding: .utf8) == "CONSTANT_K: float\n")
        #expect(configuration.generatedFile("input/settings.xml") == nil)
    }

    @Test func builtInFolderManifestSetsTheImage() throws {
        let root = temporaryDirectory("families")
        let folder = root.appendingPathComponent("fenics")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "image: lab/fenics:2026\nworkflow: docker+cgal\n".write(to: folder.appendingPathComponent("family.yml"), atomically: true, encoding: .utf8)
        let registry = FamilyRegistry.standard(searchPath: [root])
        let fenics = try registry.family(named: "fenics")
        #expect(fenics.image == "lab/fenics:2026")
        #expect(fenics is FenicsFamily)
        try "image: lab/fenics:2026\nworkflow: docker-only\n".write(to: folder.appendingPathComponent("family.yml"), atomically: true, encoding: .utf8)
        let mismatched = FamilyRegistry.standard(searchPath: [root])
        #expect(try mismatched.family(named: "fenics").image == "gssa/fenics:bookworm")
        #expect(mismatched.problems.first?.error.message.contains("does not match the built-in fenics") == true)
    }

    @Test func builtInsWithoutAModelAreRejected() throws {
        do {
            _ = try FenicsFamily().configure(SimulationDefinition.parse(definitionXML(body: "")))
            Issue.record("empty definition accepted")
        } catch {
            #expect(error.code == .client)
            #expect(error.message.contains("neither inline text nor a location"))
        }
    }

    @Test func repositoryFamiliesLoad() throws {
        // The drop-in shipped in the repo must always load.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let registry = FamilyRegistry.standard(searchPath: [root.appendingPathComponent("families")])
        #expect(registry.problems.isEmpty, "\(registry.problems)")
        #expect(registry.names.contains("python-demo"))
        // families/fenics/family.yml names the image that images/build.sh builds.
        #expect(try registry.family(named: "fenics").image == "gssa/fenics:bookworm")
    }
}

import GSSAArchive
typealias GSSAArchiveShim = TarGzReader
