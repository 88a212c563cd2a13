import Foundation
import GSSA

/// The mesher mixin: families that need a volumetric mesh describe it as GSSF-XML.
///
/// GSSF-XML is the contract between Families and MesherCGAL (and GSSF's own launcher). Adopt
/// this protocol to get ``gssfDocument(for:)``; the rules follow the original
/// `MesherGSSFMixin.to_mesh_xml()` (reference §2.7), with errors instead of crashes.
public protocol MesherGSSF: Sendable {
    /// Groups whose regions are listed but never meshed.
    var nonMeshingGroups: Set<String> { get }
}

extension MesherGSSF {
    /// By default only `segmented-lesions`: a segmented lesion is reference data for validation, not part of the mesh.
    public var nonMeshingGroups: Set<String> { ["segmented-lesions"] }

    /// The `<gssf>` root element describing geometry, regions, constants, needles and mesher.
    public func gssfDocument(for definition: SimulationDefinition) throws(GSSAError) -> LocatedElement {
        try GSSFBuilder(definition: definition, nonMeshingGroups: nonMeshingGroups).build()
    }

    /// The document as indented XML text.
    public func gssfXML(for definition: SimulationDefinition) throws(GSSAError) -> String {
        GSSFBuilder.render(try gssfDocument(for: definition))
    }
}
