import Foundation
import GSSA
@testable import Families

func golden(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: "Golden/\(name)", withExtension: nil))
    return try String(contentsOf: url, encoding: .utf8)
}

func temporaryDirectory(_ label: String = "fam") -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-\(label)-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A minimal definition builder for rule-by-rule GSSF tests.
func definitionXML(parameters: String = "", needles: String = "", regions: String = "", family: String = "fenics", body: String = "print(1)") -> String {
    """
    <simulationDefinition>
      <transferrer class="tmp"/>
      <parameters>\(parameters)</parameters>
      <numericalModel>
        <needles>\(needles)</needles>
        <regions>\(regions)</regions>
        <definition family="\(family)">\(body)</definition>
      </numericalModel>
    </simulationDefinition>
    """
}

func libraryNeedle(_ index: String, tip: String, entry: String, extra: String = "", file: String = "library:rfa-cylinder-1", cls: String = "boundary") -> String {
    """
    <needle index="\(index)" class="\(cls)" file="\(file)"><parameters>
      <parameter name="NEEDLE_TIP_LOCATION" value="\(tip)" type="array(float)"/>
      <parameter name="NEEDLE_ENTRY_LOCATION" value="\(entry)" type="array(float)"/>\(extra)
    </parameters></needle>
    """
}

import Testing
