import Foundation
import GSSA

/// Meshes a Docker+CGAL run on the host before its container starts.
///
/// The run directory holds `input/settings.xml` (GSSF-XML written by the family); the mesher
/// writes `input/input.msh` and `input/mesh_labelling.yml` there.
public protocol HostMesher: Sendable {
    func mesh(runDirectory: URL, progress: @escaping @Sendable (Double?, String) async -> Void) async throws
}

/// Used when no CGAL mesher is configured: Docker+CGAL runs fail with a clear `E_SERVER`.
public struct UnavailableHostMesher: HostMesher {
    public init() {}
    public func mesh(runDirectory: URL, progress: @escaping @Sendable (Double?, String) async -> Void) async throws {
        throw GSSAError.server("host meshing with CGAL is not available on this server (no mesher configured)")
    }
}

/// Runs an external mesher command with the run directory as argument, in its own process:
/// its output is relayed as progress and kept in `mesher.log`; a cancel SIGKILLs it.
public struct CommandHostMesher: HostMesher {
    public var executable: String
    public var arguments: [String]

    /// `arguments` may contain `{run}` and `{input}`, replaced by the run and input directories.
    public init(executable: String, arguments: [String]) {
        self.executable = executable
        self.arguments = arguments
    }

    public func mesh(runDirectory: URL, progress: @escaping @Sendable (Double?, String) async -> Void) async throws {
        await progress(nil, "Meshing on the host")
        let input = runDirectory.appendingPathComponent("input").path
        let arguments = arguments.map {
            $0.replacingOccurrences(of: "{run}", with: runDirectory.path).replacingOccurrences(of: "{input}", with: input)
        }
        let status = try await MesherProcess.run(
            executable: URL(fileURLWithPath: executable), arguments: arguments,
            log: runDirectory.appendingPathComponent("mesher.log")
        ) { _, line in
            await progress(nil, "Meshing: \(line)")
        }
        try Task.checkCancellation()
        guard status == 0 else {
            throw GSSAError.server("the host mesher exited with status \(status); see mesher.log in the diagnostic bundle")
        }
        await progress(nil, "Meshing done")
    }
}
