import Foundation
import GSSA
import Testing
@testable import Families

@Suite struct ElmerLibNumaTests {
    let family = ElmerLibNumaFamily()

    private func xml(algorithm: String = "0.01 * Temperature", regions: String = "") -> String {
        """
        <simulationDefinition>
          <transferrer class="tmp"/>
          <algorithms><algorithm result="CONSTANT_PERFUSION">
            <arguments><argument name="Temperature"/><argument name="Time"/></arguments>
            <content>\(algorithm)</content></algorithm></algorithms>
          <parameters>
            <parameter name="ELMER_NUMA_MODULES" value='["heat", "cells"]' type="array(string)"/>
            <parameter name="SETTING_LESION_FIELD" value="dead" type="string"/>
            <parameter name="SETTING_LESION_THRESHOLD_UPPER" value="0.8" type="float"/>
            <parameter name="CONSTANT_NEEDLE_EXTENSIONS" value='{"phase1": 1.5}' type="dict"/>
          </parameters>
          <numericalModel>
            <needles>
              <needle index="1" class="point-sources" file="library:straight tines"><parameters>
                <parameter name="NEEDLE_TIP_LOCATION" value="[0.0, 0.0, 0.0]" type="array(float)"/>
                <parameter name="NEEDLE_ENTRY_LOCATION" value="[0.0, 0.0, 1.0]" type="array(float)"/>
                <parameter name="NEEDLE_PRONGS_LOCATIONS" value="[[1, 0, 0], [0, 1, 0]]" type="array(array(float))"/>
              </parameters></needle>
            </needles>
            <regions>
              <region id="organ-1" name="organ" format="surface" input="organ.stl" groups='["organs"]'/>\(regions)
            </regions>
            <definition family="elmer-libnuma">Simulation\n  Max Output Level = 3\nEnd</definition>
          </numericalModel>
        </simulationDefinition>
        """
    }

    @Test func fullSettingsCarryElmerSections() throws {
        let lesion = "<region id=\"lesion-1\" name=\"lesion\" format=\"zone\" input=\"l.vtp\" groups='[\"segmented-lesions\"]'/>"
        let configuration = try family.configure(SimulationDefinition.parse(xml(regions: lesion)))
        let settings = String(decoding: try #require(configuration.generatedFile("input/settings.xml")).contents, as: UTF8.self)
        #expect(settings.contains("<elmergrid/>"))
        #expect(settings.contains("<variant modules=\"heat; cells\">Simulation"))
        #expect(settings.contains("<pointsources system=\"straight tines\">"))
        #expect(settings.contains("<extension phase=\"phase1\" length=\"1.5\"/>"))
        #expect(settings.contains("<point i=\"1\" x=\"0.0\" y=\"1.0\" z=\"0.0\"/>"))
        #expect(settings.contains("<algorithm result=\"CONSTANT_PERFUSION\" arguments=\"Temperature,Time\">"))
        #expect(settings.contains("<content>0.01 * Temperature</content>"))
        #expect(settings.contains("<lesion field=\"dead\" threshold_upper=\"0.8\"/>"))
        #expect(settings.contains("<validation reference=\"lesion-1\"/>"))
        #expect(settings.contains("<mesher type=\"CGAL\" zone_boundaries=\"true\">"))
        #expect(family.retrievableFiles.contains("lesion_surface.vtp"))
    }

    @Test(arguments: ElmerLibNumaFamily.forbiddenMATC)
    func forbiddenMATCIsRejected(word: String) throws {
        do {
            _ = try family.configure(SimulationDefinition.parse(xml(algorithm: "\(word)(\"x\")")))
            Issue.record("\(word) accepted")
        } catch {
            #expect(error.code == .client)
            #expect(error.message.contains("'\(word)'"))
            #expect(error.message.contains("<algorithm result=\"CONSTANT_PERFUSION\">"))
        }
    }

    @Test func twoSegmentedLesionsAreAnError() throws {
        let lesions = """
            <region id="lesion-1" name="lesion" format="zone" input="l.vtp" groups='["segmented-lesions"]'/>
            <region id="lesion-2" name="lesion" format="zone" input="m.vtp" groups='["segmented-lesions"]'/>
            """
        #expect(throws: GSSAError.self) { try family.configure(SimulationDefinition.parse(xml(regions: lesions))) }
    }
}
