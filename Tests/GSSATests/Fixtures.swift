import Foundation

/// A representative definition exercising every element the parser knows.
let representativeXML = """
<?xml version="1.0"?>
<simulationDefinition>
  <transferrer class="http"><url>https://webapp/simulation/ABC/files</url></transferrer>
  <algorithms>
    <algorithm result="CONSTANT_PERFUSION">
      <arguments><argument name="Temperature"/><argument name="Time"/></arguments>
      <content>0.01 * Temperature</content>
    </algorithm>
  </algorithms>
  <parameters>
    <parameter name="SIMULATION_SCALING" value="0.001" type="float" />
    <parameter name="RESOLUTION_HIGH" value="false" type="boolean" />
    <parameter name="CONSTANT_IRE_NEEDLEPAIR_VOLTAGE" value="[[1, 2, 3000], [1, 3, 2400.5]]" type="array(array(int, int, float))" />
    <parameter name="SETTING_NOTHING" value="null" type="float" />
    <parameter name="SETTING_COUNT" value="7" type="integer" />
    <parameter name="SETTING_LABEL" value="hello" type="string" />
  </parameters>
  <numericalModel>
    <needles>
      <needle index="1" class="boundary" file="library:rfa-cylinder-1">
        <parameters>
          <parameter name="NEEDLE_TIP_LOCATION" value="[0.0, 14.0, 0.0]" type="array(float)" />
          <parameter name="NEEDLE_ENTRY_LOCATION" value="[1.0, 14.0, 0.0]" type="array(float)" />
        </parameters>
      </needle>
      <needle index="2" class="solid-boundary" input="needle2.stl"/>
      <needle index="3" class="boundary" file="surface:probe.tar.gz"/>
    </needles>
    <regions>
      <region id="organ-1" name="organ" format="surface" input="organ.stl" groups='["organs", "boundaries"]' />
      <region id="tumour-1" name="tumour" format="zone" input="zone:tumour.vtp" groups='["tumours"]' />
    </regions>
    <definition family="fenics">print("hi")</definition>
  </numericalModel>
</simulationDefinition>
"""

/// Replaces one fragment of the representative XML, failing loudly if it is absent.
func variant(_ original: String, _ replacement: String) -> String {
    precondition(representativeXML.contains(original), "fixture fragment not found: \(original)")
    return representativeXML.replacingOccurrences(of: original, with: replacement)
}

/// Line (1-based) of the first occurrence of `fragment` in `text`.
func lineOf(_ fragment: String, in text: String) -> Int {
    let prefix = text.components(separatedBy: fragment)[0]
    return prefix.filter { $0 == "\n" }.count + 1
}
