import Foundation
import GSSA

/// FEniCS in the Docker+CGAL workflow: CGAL meshes on the host from `input/settings.xml`, and
/// the container solves on `input/input.msh`.
public struct FenicsFamily: DockerFamily, MesherGSSF {
    public let image: String
    public var name: String { "fenics" }
    public var workflow: Workflow { .dockerCGAL }
    public var retrievableFiles: [String] { ["logs/job.out", "logs/job.err", "run/output"] }

    public init(image: String = "gssa/fenics:bookworm") {
        self.image = image
    }

    public func additionalFiles(for definition: SimulationDefinition) throws(GSSAError) -> [FamilyConfiguration.GeneratedFile] {
        [.init(path: "input/settings.xml", contents: Data(try gssfXML(for: definition).utf8))]
    }
}
