import Foundation
import GSSA
import Testing
@testable import GSSACLI

/// `gssa launch --definition FILE…` rewrites `<definition>` through the hardened reader and writer.
@Suite struct PointDefinitionTests {
    @Test func definitionIsPointedAtTheArchiveAndKeepsEverythingElse() throws {
        let xml = """
            <?xml version="1.0"?>
            <!-- kept out: comments are not part of the tree -->
            <simulationDefinition>
              <parameters><parameter name="A" value="1 &lt; 2 &amp; &quot;x&quot;" type="string"/></parameters>
              <numericalModel>
                <definition family="fenics" location="old.tar.gz"><![CDATA[print("<inline>")]]></definition>
              </numericalModel>
            </simulationDefinition>
            """
        let rewritten = try LaunchSimulationCommand.pointDefinition(Data(xml.utf8), at: "definition.tar.gz")
        let definition = try SimulationDefinition.parse(rewritten)
        #expect(definition.definition.location == "definition.tar.gz")
        #expect(definition.definition.inlineText == nil || definition.definition.inlineText == "")
        #expect(definition.family == "fenics")
        #expect(definition.parameters["A"]?.rawValue == "1 < 2 & \"x\"")
    }

    @Test func hostileInputIsAClientError() {
        #expect(throws: GSSAError.self) {
            try LaunchSimulationCommand.pointDefinition(Data([0x3C, 0x61, 0xFF, 0x2F, 0x3E]), at: "definition.tar.gz")
        }
        #expect(throws: GSSAError.self) { try LaunchSimulationCommand.pointDefinition(Data("<other/>".utf8), at: "d.tar.gz") }
    }
}
