import Foundation
import Testing
@testable import GSSA

@Suite struct ComparatorTests {
    private func differences(_ left: String, _ right: String) throws -> [String] {
        Comparator(try SimulationDefinition.parse(left), try SimulationDefinition.parse(right)).differences()
    }

    @Test func identicalDefinitionsAreEqual() throws {
        let a = try SimulationDefinition.parse(representativeXML)
        #expect(Comparator(a, a).isEqual)
        #expect(Comparator(a, a).differences().isEmpty)
    }

    @Test func parameterValueAndPresence() throws {
        let other = variant("value=\"0.001\" type=\"float\"", "value=\"0.002\" type=\"float\"")
        #expect(try differences(representativeXML, other) == ["Parameter SIMULATION_SCALING: values differ - 0.001 // 0.002"])
        // 7 and 7.0 are the same number once typed.
        let same = variant("value=\"7\" type=\"integer\"", "value=\"7.0\" type=\"integer\"")
        #expect(try differences(representativeXML, same).isEmpty)
        let missing = variant("<parameter name=\"SETTING_LABEL\" value=\"hello\" type=\"string\" />", "")
        #expect(try differences(representativeXML, missing) == ["Parameter: that has no parameter SETTING_LABEL"])
        #expect(try differences(missing, representativeXML) == ["Parameter: this has no parameter SETTING_LABEL"])
    }

    @Test func transferrerClassAndURL() throws {
        let other = variant("<transferrer class=\"http\"><url>https://webapp/simulation/ABC/files</url>", "<transferrer class=\"ftp\"><url>https://other/files</url>")
        #expect(try differences(representativeXML, other) == [
            "Transferrer: classes differ - http // ftp",
            "Transferrer: URLs differ - https://webapp/simulation/ABC/files // https://other/files",
        ])
    }

    @Test func regionsAndNeedles() throws {
        let region = variant("format=\"zone\" input=\"zone:tumour.vtp\"", "format=\"surface\" input=\"zone:tumour.vtp\"")
        #expect(try differences(representativeXML, region) == ["Region: for ID tumour-1, format fields differ zone // surface"])
        let needleParameter = variant("<parameter name=\"NEEDLE_ENTRY_LOCATION\" value=\"[1.0, 14.0, 0.0]\" type=\"array(float)\" />", "")
        #expect(try differences(representativeXML, needleParameter) == ["Needle: that (1) has no parameter NEEDLE_ENTRY_LOCATION"])
        #expect(try differences(needleParameter, representativeXML) == ["Needle: this (1) has no parameter NEEDLE_ENTRY_LOCATION"])
        let fewer = variant("<needle index=\"2\" class=\"solid-boundary\" input=\"needle2.stl\"/>", "")
        #expect(try differences(representativeXML, fewer) == ["Numerical Model: this has different needle count than that", "Needle: that has no needle 2"])
        let moved = variant("value=\"[0.0, 14.0, 0.0]\"", "value=\"[0.0, 15.0, 0.0]\"")
        #expect(try differences(representativeXML, moved) == ["Needle 1: parameter NEEDLE_TIP_LOCATION: values differ - [0.0, 14.0, 0.0] // [0.0, 15.0, 0.0]"])
    }

    @Test func algorithmContentAndDefinitionText() throws {
        let algorithm = variant("<content>0.01 * Temperature</content>", "<content>0.02 * Temperature</content>")
        #expect(try differences(representativeXML, algorithm) == ["Algorithm: CONSTANT_PERFUSION content differs"])
        let script = variant("print(\"hi\")</definition>", "print(\"hi\")\nprint(\"bye\")</definition>")
        let lines = try differences(representativeXML, script)
        #expect(lines.count == 1)
        #expect(lines[0].hasPrefix("Numerical Model: definitions differ:\n | --- this\n | +++ that\n | @@ -1,1 +1,2 @@\n"))
        #expect(lines[0].contains("\n | +print(\"bye\")"))
        let family = variant("<definition family=\"fenics\">", "<definition family=\"elmer-libnuma\">")
        #expect(try differences(representativeXML, family) == ["Numerical Model: families differ - fenics // elmer-libnuma"])
    }
}

@Suite struct UnifiedDiffTests {
    @Test func hunksWithContext() {
        let old = (1...10).map { "line \($0)" }.joined(separator: "\n")
        let new = old.replacingOccurrences(of: "line 5", with: "line five")
        let diff = UnifiedDiff(from: old, to: new).lines
        #expect(diff == ["--- a", "+++ b", "@@ -2,7 +2,7 @@", " line 2", " line 3", " line 4", "-line 5", "+line five", " line 6", " line 7", " line 8"])
        #expect(UnifiedDiff(from: old, to: old).lines.isEmpty)
    }
}
