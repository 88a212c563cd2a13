import Foundation
import GSSA

/// FEniCS in the Docker+CGAL workflow: CGAL meshes on the host from `input/settings.xml`, and
/// the container solves on `input/input.msh`.
public struct FenicsFamily: DockerFamily, MesherGSSF {
    /// The solver image; `gssa/fenics:bookworm` by default.
    public let image: String
    /// `fenics`.
    public var name: String { "fenics" }
    /// `docker+cgal`: CGAL meshes on the host.
    public var workflow: Workflow { .dockerCGAL }
    /// The job logs and the solver's `run/output` folder.
    public var retrievableFiles: [String] { ["logs/job.out", "logs/job.err", "run/output"] }

    /// Creates the family with its solver image.
    public init(image: String = "gssa/fenics:bookworm") {
        self.image = image
    }

    /// `input/settings.xml`: the GSSF-XML the host mesher reads.
    public func additionalFiles(for definition: SimulationDefinition) throws(GSSAError) -> [FamilyConfiguration.GeneratedFile] {
        [.init(path: "input/settings.xml", contents: Data(try gssfXML(for: definition).utf8))]
    }
}
