import Foundation
import GSSA
import Testing
@testable import Families

@Suite struct GSSFTests {
    let fenics = FenicsFamily()

    private func gssf(_ xml: String) throws(GSSAError) -> String {
        try fenics.gssfXML(for: SimulationDefinition.parse(xml))
    }

    /// The golden was written by hand from reference §2.7's rules, then compared with our output.
    @Test func quickstartMatchesHandCheckedGolden() throws {
        let output = try gssf(try golden("quickstart.xml"))
        #expect(output == (try golden("quickstart.gssf.xml")))
    }

    @Test func lengthScaleDefaultsAndHighResolution() throws {
        let plain = try gssf(definitionXML())
        #expect(plain.contains("<lengthscales nearfield=\"2.0\" farfield=\"5.0\" zonefield=\"2.0\" vessels=\"far\"/>"))
        #expect(plain.contains("<extent radius=\"50\"/>"))
        let high = try gssf(definitionXML(parameters: "<parameter name=\"RESOLUTION_HIGH\" value=\"true\" type=\"boolean\"/><parameter name=\"SIMULATION_DOMAIN_RADIUS\" value=\"60\" type=\"float\"/>"))
        #expect(high.contains("<lengthscales nearfield=\"1.0\" farfield=\"2.0\" zonefield=\"1.0\" vessels=\"far\"/>"))
        #expect(high.contains("<extent radius=\"60.0\"/>"))
        let overridden = try gssf(definitionXML(parameters: """
            <parameter name="RESOLUTION_HIGH" value="true" type="boolean"/>
            <parameter name="RESOLUTION_FIELD_FAR" value="7.5" type="float"/>
            <parameter name="RESOLUTION_NEEDLE_ZONE_FIELD" value="0.5" type="float"/>
            """))
        #expect(overridden.contains("<lengthscales nearfield=\"1.0\" farfield=\"7.5\" zonefield=\"1.0\" vessels=\"far\" needlezonefield=\"0.5\"/>"))
        #expect(throws: GSSAError.self) {
            try gssf(definitionXML(parameters: "<parameter name=\"RESOLUTION_FIELD_NEAR\" value=\"-1\" type=\"float\"/>"))
        }
    }

    @Test func centreRules() throws {
        let needles = libraryNeedle("1", tip: "[0.0, 0.0, 0.0]", entry: "[0.0, 0.0, 10.0]") + libraryNeedle("2", tip: "[10.0, 4.0, 0.0]", entry: "[10.0, 4.0, 10.0]")
        #expect(try gssf(definitionXML(needles: needles)).contains("<centre x=\"0.0\" y=\"0.0\" z=\"0.0\"/>"))
        let centroid = try gssf(definitionXML(parameters: "<parameter name=\"CENTRE_LOCATION\" value=\"centroid-of-tips\" type=\"string\"/>", needles: needles))
        #expect(centroid.contains("<centre x=\"5.0\" y=\"2.0\" z=\"0.0\"/>"))
        let explicit = try gssf(definitionXML(parameters: "<parameter name=\"CENTRE_LOCATION\" value=\"[1, 2, 3]\" type=\"array(float)\"/>", needles: needles))
        #expect(explicit.contains("<centre x=\"1.0\" y=\"2.0\" z=\"3.0\"/>"))
        #expect(explicit.contains("offset=\"-1.0 -2.0 -3.0\""))
        let offset = try gssf(definitionXML(parameters: "<parameter name=\"CENTRE_OFFSET\" value=\"2.5\" type=\"float\"/>", needles: needles))
        #expect(offset.contains("<needleaxis x=\"0.0\" y=\"0.0\" z=\"10.0\"/>"))
        #expect(offset.contains("<centre x=\"0.0\" y=\"0.0\" z=\"2.5\"/>"))
        do {
            _ = try gssf(definitionXML(parameters: "<parameter name=\"CENTRE_LOCATION\" value=\"middle\" type=\"string\"/>", needles: needles))
            Issue.record("unknown centre rule accepted")
        } catch {
            #expect(error.code == .client)
            #expect(error.message.contains("CENTRE_LOCATION"))
        }
    }

    @Test func needlesRenumberedOneBased() throws {
        let zeroBased = libraryNeedle("needle0", tip: "[0.0, 0.0, 0.0]", entry: "[0.0, 0.0, 1.0]") + libraryNeedle("needle1", tip: "[1.0, 0.0, 0.0]", entry: "[1.0, 0.0, 1.0]")
        let output = try gssf(definitionXML(needles: zeroBased))
        #expect(output.contains("<needle name=\"1\">"))
        #expect(output.contains("<needle name=\"2\">"))
        #expect(!output.contains("<needle name=\"0\">"))
        let named = libraryNeedle("alpha", tip: "[0.0, 0.0, 0.0]", entry: "[0.0, 0.0, 1.0]") + libraryNeedle("beta", tip: "[1.0, 0.0, 0.0]", entry: "[1.0, 0.0, 1.0]")
        let renumbered = try gssf(definitionXML(needles: named))
        #expect(renumbered.contains("id=\"rfa-cylinder-1\" name=\"1\""))
        #expect(renumbered.contains("id=\"rfa-cylinder-1\" name=\"2\""))
    }

    @Test func surfaceNeedlesBecomeRegionsAndZones() throws {
        let needles = """
            <needle index="4" class="solid-boundary" file="zone:probe.stl"><parameters>
              <parameter name="NEEDLE_TIP_LOCATION" value="[0.0, 0.0, 0.0]" type="array(float)"/>
              <parameter name="NEEDLE_ENTRY_LOCATION" value="[0.0, 0.0, 5.0]" type="array(float)"/>
              <parameter name="NEEDLE_ACTIVE_LENGTH" value="3" type="float"/>
            </parameters></needle>
            """
        let output = try gssf(definitionXML(parameters: "<parameter name=\"SETTING_SOLID_NEEDLES\" value=\"true\" type=\"boolean\"/>", needles: needles))
        #expect(output.contains("<zone name=\"4\" input=\"input/4.stl\" groups=\"needles\"/>"))
        #expect(output.contains("<zone region=\"4\" characteristic_length=\"2.0\" priority=\"0\">"))
        #expect(output.contains("<activity x=\"0.0\" y=\"0.0\" z=\"0.0\" r=\"3.0\"/>"))
        #expect(output.contains("<needlelibrary zones=\"true\"/>"))
        #expect(!output.contains("region=\"needle-4\""))
    }

    @Test func regionRules() throws {
        let regions = """
            <region id="organ-1" name="organ" format="surface" input="organ.stl" groups='["organs"]'/>
            <region id="tumour-1" name="tumour" format="zone" input="t.stl" groups='["tumours"]'/>
            <region id="lesion-1" name="lesion" format="zone" input="l.stl" groups='["segmented-lesions"]'/>
            <region id="bronchus-1" name="bronchus" format="surface" input="b.stl" groups='["bronchi"]'/>
            <region id="mesh-1" name="mesh" format="mesh" input="m.msh" groups='[]'/>
            """
        let output = try gssf(definitionXML(regions: regions))
        #expect(output.contains("<organ region=\"organ-1\"/>"))
        #expect(output.contains("<zone region=\"tumour-1\" priority=\"1\" characteristic_length=\"2.0\"/>"))
        #expect(output.contains("<zone name=\"lesion-1\""))  // listed ...
        #expect(!output.contains("<zone region=\"lesion-1\""))  // ... never meshed
        #expect(output.contains("<zone region=\"bronchus-1\" priority=\"2\" characteristic_length=\"2.0\"/>"))
        #expect(!output.contains("mesh-1"))
        let subdomain = try gssf(definitionXML(parameters: "<parameter name=\"SETTING_ORGAN_AS_SUBDOMAIN\" value=\"true\" type=\"boolean\"/><parameter name=\"SETTING_ORGAN_AS_SURFACE\" value=\"true\" type=\"boolean\"/>", regions: regions))
        #expect(subdomain.contains("<zone region=\"organ-1\" priority=\"100\" characteristic_length=\"5.0\"/>"))
        #expect(subdomain.contains("<both name=\"organ-1\""))
    }

    @Test func axisymmetricInnerAndConstants() throws {
        let output = try gssf(definitionXML(parameters: """
            <parameter name="SETTING_AXISYMMETRIC_INNER" value="inner.geo" type="string"/>
            <parameter name="SETTING_AXISYMMETRIC_INNER_COARSE" value="coarse.geo" type="string"/>
            <parameter name="CONSTANT_LIST" value="[1, 2.5]" type="array(float)"/>
            """))
        #expect(output.contains("<inner type=\"axisymmetric\" template=\"inner.geo\"/>"))
        #expect(output.contains("<inner type=\"axisymmetric\" name=\"coarse\" template=\"coarse.geo\"/>"))
        #expect(output.contains("<parameter name=\"SETTING_AXISYMMETRIC_INNER\" value=\"&quot;inner.geo&quot;\" type=\"string\"/>"))
        #expect(output.contains("<parameter name=\"CONSTANT_LIST\" value=\"[1, 2.5]\" type=\"array(float)\"/>"))
    }

    @Test func missingNeedleLocationNamesTheNeedle() throws {
        let needle = "<needle index=\"7\" class=\"boundary\" file=\"library:rfa-cylinder-1\"/>"
        do {
            _ = try gssf(definitionXML(needles: needle))
            Issue.record("missing tip accepted")
        } catch {
            #expect(error.code == .client)
            #expect(error.message.contains("<needle index=\"7\">"))
            #expect(error.message.contains("NEEDLE_ENTRY_LOCATION") || error.message.contains("NEEDLE_TIP_LOCATION"))
        }
    }
}
