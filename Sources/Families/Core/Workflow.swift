/// How a family gets from surfaces to a volumetric mesh.
public enum Workflow: String, Sendable, Hashable, Codable, CaseIterable {
    /// Meshing, if any, happens inside the solver image.
    case dockerOnly = "docker-only"
    /// CGAL meshes on the host first; the container only solves.
    case dockerCGAL = "docker+cgal"
}
