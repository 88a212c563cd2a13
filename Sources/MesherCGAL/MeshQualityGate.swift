import Foundation

/// The quality a mesh should reach before a solver uses it, and the warnings when it does not.
///
/// Tetrahedra with a small dihedral angle (slivers) spoil the conditioning of a finite-element
/// system and the accuracy of gradients, so a mesh under the gate is reported loudly: in
/// `mesh_report.json`, by `gssa mesh` and `gssa run`, in the server's events and in the run's
/// summary. It is a warning, not a failure: the mesh is still usable and the user decides.
public enum MeshQualityGate {
    /// The smallest acceptable dihedral angle, in degrees.
    public static let minimumDihedral = 10.0

    /// One human sentence per quality problem of `quality`; empty when the mesh passes.
    public static func warnings(for quality: MeshReport.Quality) -> [String] {
        guard quality.minDihedral.isFinite, quality.minDihedral < minimumDihedral else {
            return quality.minDihedral.isFinite ? [] : ["the minimum dihedral angle is not a number: the mesh is degenerate"]
        }
        let slivers = quality.sliversBelow10deg
        return [
            String(format: "minimum dihedral angle %.1f° is under %.0f° (%d tetrahedra below %.0f°): ",
                   quality.minDihedral, minimumDihedral, slivers, minimumDihedral)
                + "slivers can slow or spoil the solve; keep optimisation on (no --no-optimise) or refine the size field"
        ]
    }
}
