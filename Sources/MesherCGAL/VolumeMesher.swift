/// What fills the volumes between the labelled surfaces that CGAL meshes.
public enum VolumeMesher: String, Sendable, Hashable, Codable, CaseIterable {
    /// gmsh's HXT through the gmsh API: CGAL refines only the labelled surfaces, HXT fills and
    /// optimises the volumes. Several times faster, with fewer slivers, and the same mesh bit for
    /// bit for the same input, settings and thread count.
    case hxt
    /// CGAL Mesh_3 refines the cells too, then perturb and exude remove slivers (the original
    /// mesher's way; reproducible with one thread only).
    case cgal
}
