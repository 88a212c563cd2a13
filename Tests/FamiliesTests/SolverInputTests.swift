import Foundation
import GSSA
import GSSAArchive
import Testing
import Yams
@testable import Families

@Suite struct SolverInputTests {
    let xml = definitionXML(
        parameters: """
            <parameter name="SIMULATION_SCALING" value="0.001" type="float"/>
            <parameter name="SETTING_NAME" value="true" type="string"/>
            <parameter name="SETTING_NONE" value="null"/>
            """,
        needles: libraryNeedle("1", tip: "[0.0, 14.0, 0.0]", entry: "[1.0, 14.0, 0.0]")
            + "<needle index=\"2\" class=\"boundary\" file=\"surface:probe.STL\"/>"
            + libraryNeedle("3", tip: "[0.0, 0.0, 0.0]", entry: "[1.0, 0.0, 0.0]", file: "needle3.tar.gz"),
        regions: """
            <region id="organ-1" name="organ" format="surface" input="organ.stl" groups='["organs", "boundaries"]'/>
            <region id="tumour-1" name="tumour" format="zone" input="scans/tumour.vtp" groups='[]'/>
            """,
        body: "HEADER_PARAM: float\n==========ENDPARAMETERS========\nimport gosmart\nprint('go')\n")

    /// Hand-checked against reference §4.1's shapes.
    @Test func yamlFilesHaveTheOriginalShapes() throws {
        let input = SolverInput(definition: try SimulationDefinition.parse(xml))
        #expect(String(decoding: try input.regionsYAML(), as: UTF8.self) == """
            organ-1:
              format: surface
              groups: [organs, boundaries]
              input: organ-1.stl
              meaning: organ
            tumour-1:
              format: zone
              groups: []
              input: tumour-1.vtp
              meaning: tumour

            """)
        #expect(String(decoding: try SolverInput.parametersYAML(input.definition.parameters), as: UTF8.self) == """
            SIMULATION_SCALING: [float, '0.001']
            SETTING_NAME: [string, 'true']
            SETTING_NONE: [null, 'null']

            """)
        let needles = String(decoding: try input.needleParametersYAML(), as: UTF8.self)
        #expect(needles == """
            ---
            class: boundary
            index: '1'
            input: library:rfa-cylinder-1
            parameters:
              NEEDLE_TIP_LOCATION: [array(float), '[0.0, 14.0, 0.0]']
              NEEDLE_ENTRY_LOCATION: [array(float), '[1.0, 14.0, 0.0]']
            ---
            class: boundary
            index: '2'
            input: surface:2.STL
            parameters: {}
            ---
            class: boundary
            index: '3'
            input: transfer:3.tar.gz
            parameters:
              NEEDLE_TIP_LOCATION: [array(float), '[0.0, 0.0, 0.0]']
              NEEDLE_ENTRY_LOCATION: [array(float), '[1.0, 0.0, 0.0]']

            """)
        // And a YAML reader sees strings where strings were written.
        let documents = try Array(Yams.load_all(yaml: needles))
        #expect(documents.count == 3)
        #expect((documents[0] as? [String: Any])?["index"] as? String == "1")
        let parameters = try Yams.load(yaml: String(decoding: try SolverInput.parametersYAML(input.definition.parameters), as: UTF8.self)) as? [String: [Any?]]
        #expect(parameters?["SETTING_NAME"]?[1] as? String == "true")
        #expect(parameters?["SIMULATION_SCALING"]?[1] as? String == "0.001")
    }

    @Test func requiredFilesMapLocalToRemote() throws {
        let input = SolverInput(definition: try SimulationDefinition.parse(xml))
        #expect(input.requiredFiles == [
            .init(local: "input/organ-1.stl", remote: "organ.stl"),
            .init(local: "input/tumour-1.vtp", remote: "scans/tumour.vtp"),
            .init(local: "input/2.STL", remote: "probe.STL"),
            .init(local: "input/3.tar.gz", remote: "needle3.tar.gz"),
        ])
    }

    @Test func inlineDefinitionSplitsOnTheSeparator() throws {
        let configuration = try FenicsFamily().configure(SimulationDefinition.parse(xml))
        let tarball = try #require(configuration.generatedFile("input/start.tar.gz"))
        let directory = temporaryDirectory()
        let archive = directory.appendingPathComponent("start.tar.gz")
        try tarball.contents.write(to: archive)
        try TarGzReader.extract(archive, into: directory.appendingPathComponent("x"))
        #expect(try String(contentsOf: directory.appendingPathComponent("x/parameters.yml"), encoding: .utf8) == "HEADER_PARAM: float\n")
        // start.py keeps the XML's line numbers: its "import gosmart" is on the same line as in the XML.
        let script = try String(contentsOf: directory.appendingPathComponent("x/start.py"), encoding: .utf8)
        #expect(script.trimmingCharacters(in: .newlines) == "import gosmart\nprint('go')")
        let xmlLine = xml.components(separatedBy: "import gosmart")[0].filter { $0 == "\n" }.count + 1
        let scriptLine = script.components(separatedBy: "import gosmart")[0].filter { $0 == "\n" }.count + 1
        #expect(scriptLine == xmlLine)
        // No separator: the whole text is start.py.
        let plain = StartArchive(inline: "print(1)\n# ==========ENDPARAMETERS======== is not alone on its line\n")
        #expect(plain.files.map(\.name) == ["start.py"])
        #expect(configuration.generated.map(\.path) == ["input/regions.yml", "input/parameters.yml", "input/needle_parameters.yml", "input/start.tar.gz", "input/settings.xml"])
    }

    @Test func locationTarballIsPassedThrough() throws {
        let located = xml.replacingOccurrences(of: "<definition family=\"fenics\">", with: "<definition family=\"fenics\" location=\"model.tar.gz\">")
        let configuration = try FenicsFamily().configure(SimulationDefinition.parse(located))
        #expect(configuration.generatedFile("input/start.tar.gz") == nil)
        #expect(configuration.required.contains(.init(local: "input/start.tar.gz", remote: "model.tar.gz")))
    }

    @Test func organAsSubdomainChangesTheFormat() throws {
        let subdomain = xml.replacingOccurrences(of: "<parameters>", with: "<parameters><parameter name=\"SETTING_ORGAN_AS_SUBDOMAIN\" value=\"1\" type=\"integer\"/>")
        let input = SolverInput(definition: try SimulationDefinition.parse(subdomain))
        #expect(input.effectiveRegions.first?.format == .zone)
    }

    @Test func writeCopiesInputsOrNamesTheMissingOne() throws {
        let definition = try SimulationDefinition.parse(xml)
        let configuration = try FenicsFamily().configure(definition)
        let inputs = temporaryDirectory("inputs")
        let out = temporaryDirectory("out")
        for name in ["organ.stl", "probe.STL", "needle3.tar.gz"] {
            try Data(name.utf8).write(to: inputs.appendingPathComponent(name))
        }
        do {
            try configuration.write(to: out, inputs: inputs)
            Issue.record("missing input accepted")
        } catch {
            #expect(error.code == .client)
            #expect(error.message.contains("scans/tumour.vtp"))
        }
        // Nothing is written when an input is missing.
        #expect((try FileManager.default.contentsOfDirectory(atPath: out.path)).isEmpty)
        try FileManager.default.createDirectory(at: inputs.appendingPathComponent("scans"), withIntermediateDirectories: true)
        try Data("vtp".utf8).write(to: inputs.appendingPathComponent("scans/tumour.vtp"))
        let written = try configuration.write(to: out, inputs: inputs)
        #expect(written.contains("input/tumour-1.vtp"))
        #expect(try String(contentsOf: out.appendingPathComponent("input/tumour-1.vtp"), encoding: .utf8) == "vtp")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("input/settings.xml").path))
    }

    @Test func uploadedMeshSkipsGSSF() throws {
        let meshXML = definitionXML(regions: "<region id=\"mesh-0\" name=\"mesh\" format=\"mesh\" input=\"patient.msh\"/>")
        let configuration = try FenicsFamily().configure(SimulationDefinition.parse(meshXML))
        #expect(configuration.hasUploadedMesh)
        #expect(configuration.generatedFile("input/settings.xml") == nil)
        #expect(configuration.required == [.init(local: "input/input.msh", remote: "patient.msh")])
        let two = definitionXML(regions: "<region id=\"m1\" name=\"mesh\" format=\"mesh\" input=\"a.msh\"/><region id=\"m2\" name=\"mesh\" format=\"mesh\" input=\"b.msh\"/>")
        #expect(throws: GSSAError.self) { try FenicsFamily().configure(SimulationDefinition.parse(two)) }
    }
}
