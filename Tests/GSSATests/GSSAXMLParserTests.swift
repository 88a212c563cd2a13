import Foundation
import Testing
@testable import GSSA

@Suite struct GSSAXMLParserTests {
    @Test func parsesEveryElement() throws {
        let definition = try SimulationDefinition.parse(representativeXML)
        #expect(definition.transferrer?.kind == "http")
        #expect(definition.transferrer?.url == "https://webapp/simulation/ABC/files")
        #expect(definition.algorithms == [Algorithm(result: "CONSTANT_PERFUSION", arguments: ["Temperature", "Time"], content: "0.01 * Temperature")])
        #expect(definition.parameters.count == 6)
        #expect(definition.parameters["SIMULATION_SCALING"]?.rawValue == "0.001")
        #expect(definition.parameters["SIMULATION_SCALING"]?.type == "float")

        #expect(definition.needles.map(\.index) == ["1", "2", "3"])
        #expect(definition.needles[0].file == FileReference(mode: .library, value: "rfa-cylinder-1"))
        #expect(definition.needles[0].needleClass == "boundary")
        // `file` falls back to `input`; a bare name means transfer:NAME.
        #expect(definition.needles[1].file == FileReference(mode: .transfer, value: "needle2.stl"))
        #expect(definition.needles[2].file == FileReference(mode: .surface, value: "probe.tar.gz"))
        #expect(definition.needles[0].parameters.count == 2)

        #expect(definition.regions.count == 2)
        let tumour = try #require(definition.region(id: "tumour-1"))
        #expect(tumour.format == .zone)
        #expect(tumour.input == "tumour.vtp")  // mode prefix stripped
        #expect(tumour.name == "tumour")
        #expect(definition.region(id: "organ-1")?.groups == ["organs", "boundaries"])

        #expect(definition.family == "fenics")
        #expect(definition.definition.inlineText == "print(\"hi\")")
        #expect(definition.definition.line == lineOf("<definition", in: representativeXML))
    }

    @Test func tarballDefinitionAndTmpTransferrer() throws {
        let xml = variant("<definition family=\"fenics\">print(\"hi\")</definition>", "<definition family=\"fenics\" location=\"model/start.tar.gz\"/>")
            .replacingOccurrences(of: "<transferrer class=\"http\"><url>https://webapp/simulation/ABC/files</url></transferrer>",
                                  with: "<transferrer class=\"tmp\"><input location=\"inputs.tar.gz\"/></transferrer>")
        let definition = try SimulationDefinition.parse(xml)
        #expect(definition.definition.location == "model/start.tar.gz")
        #expect(definition.transferrer?.kind == "tmp")
        #expect(definition.transferrer?.inputLocation == "inputs.tar.gz")
    }

    /// Asserts the XML is rejected with E_CLIENT at `line`, mentioning `fragments`.
    private func expectRejection(_ xml: String, line: Int?, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try SimulationDefinition.parse(xml)
            Issue.record("expected a rejection", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == .client, sourceLocation: sourceLocation)
            if let line { #expect(error.line == line, "\(error.description)", sourceLocation: sourceLocation) }
            for fragment in fragments {
                #expect(error.description.contains(fragment), "\(error.description) lacks \(fragment)", sourceLocation: sourceLocation)
            }
            #expect(error.description.hasPrefix("E_CLIENT: "), sourceLocation: sourceLocation)
        }
    }

    @Test func malformedXML() {
        let xml = variant("<content>0.01 * Temperature</content>", "<content>0.01 * Temperature</contents>")
        expectRejection(xml, line: lineOf("</contents>", in: xml), "malformed XML")
        expectRejection("", line: nil, "malformed XML")
        expectRejection("<simulationDefinition>", line: nil, "malformed XML")
    }

    @Test func missingNumericalModelOrDefinition() {
        expectRejection("<simulationDefinition>\n<parameters/>\n</simulationDefinition>", line: 1, "numericalModel is missing")
        let noDefinition = variant("<definition family=\"fenics\">print(\"hi\")</definition>", "")
        expectRejection(noDefinition, line: lineOf("<numericalModel>", in: noDefinition), "definition is missing")
        expectRejection("<other/>", line: 1, "root element must be <simulationDefinition>")
    }

    @Test func duplicateRegionIdAndNeedleIndex() {
        let regions = variant("<region id=\"tumour-1\"", "<region id=\"organ-1\"")
        expectRejection(regions, line: lineOf("<region id=\"organ-1\" name=\"tumour\"", in: regions), "duplicate region id organ-1", "<region id=\"organ-1\">")
        let needles = variant("<needle index=\"2\"", "<needle index=\"1\"")
        expectRejection(needles, line: lineOf("<needle index=\"1\" class=\"solid-boundary\"", in: needles), "duplicate needle index 1")
    }

    @Test func unknownRegionFormat() {
        let xml = variant("format=\"zone\"", "format=\"volume\"")
        expectRejection(xml, line: lineOf("format=\"volume\"", in: xml), "<region id=\"tumour-1\">", "unknown region format 'volume'")
    }

    @Test func groupsMustBeAJSONArrayOfStrings() {
        let notJSON = variant("groups='[\"tumours\"]'", "groups='tumours; lesions'")
        expectRejection(notJSON, line: lineOf("tumours; lesions", in: notJSON), "<region id=\"tumour-1\">", "groups is not a JSON array")
        let notStrings = variant("groups='[\"tumours\"]'", "groups='[1, 2]'")
        expectRejection(notStrings, line: lineOf("[1, 2]'", in: notStrings), "groups is not a JSON array of strings")
        let object = variant("groups='[\"tumours\"]'", "groups='{\"a\": 1}'")
        expectRejection(object, line: nil, "groups is not a JSON array")
    }

    @Test func locationMustBeATarGz() {
        let xml = variant("<definition family=\"fenics\">print(\"hi\")</definition>", "<definition family=\"fenics\" location=\"start.zip\"/>")
        expectRejection(xml, line: lineOf("start.zip", in: xml), "<definition family=\"fenics\">", "location must name a .tar.gz")
    }

    @Test func inputNamesMustBeRelativeWithoutDotDot() {
        let absolute = variant("input=\"organ.stl\"", "input=\"/etc/passwd\"")
        expectRejection(absolute, line: lineOf("/etc/passwd", in: absolute), "<region id=\"organ-1\">", "input must be a relative name")
        let dotdot = variant("input=\"organ.stl\"", "input=\"../../organ.stl\"")
        expectRejection(dotdot, line: nil, "input must be a relative name")
        let needle = variant("input=\"needle2.stl\"", "input=\"surface:../x.stl\"")
        expectRejection(needle, line: lineOf("../x.stl", in: needle), "<needle index=\"2\">", "must be a relative name")
        let regionId = variant("<region id=\"tumour-1\"", "<region id=\"../tumour\"")
        expectRejection(regionId, line: nil, "region id must be a plain name")
    }

    @Test func requiredAttributesAndDuplicates() {
        expectRejection(variant("<needle index=\"2\" class=\"solid-boundary\" input=\"needle2.stl\"/>", "<needle index=\"2\" class=\"solid-boundary\"/>"), line: nil, "file attribute is required")
        expectRejection(variant(" name=\"tumour\"", ""), line: nil, "name attribute is required")
        expectRejection(variant("<definition family=\"fenics\">", "<definition>"), line: nil, "family attribute is required")
        expectRejection(variant("file=\"library:rfa-cylinder-1\"", "file=\"magic:rfa\""), line: nil, "unknown needle file mode 'magic'")
        let duplicate = variant("<parameter name=\"SETTING_COUNT\"", "<parameter name=\"SIMULATION_SCALING\"")
        expectRejection(duplicate, line: lineOf("<parameter name=\"SIMULATION_SCALING\" value=\"7\"", in: duplicate), "duplicate parameter SIMULATION_SCALING")
        let twoModels = representativeXML.replacingOccurrences(of: "</simulationDefinition>", with: "<numericalModel/></simulationDefinition>")
        expectRejection(twoModels, line: nil, "more than one <numericalModel>")
    }

    @Test func unreadableFileIsAClientError() {
        do {
            _ = try SimulationDefinition.parse(contentsOf: URL(fileURLWithPath: "/nonexistent/def.xml"))
            Issue.record("expected failure")
        } catch {
            #expect(error.code == .client)
            #expect(error.message.contains("/nonexistent/def.xml"))
        }
    }
}
