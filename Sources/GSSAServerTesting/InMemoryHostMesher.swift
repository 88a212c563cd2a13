import Foundation
import GSSAServer

/// A mesher for tests: writes a placeholder mesh and records each call.
public actor InMemoryHostMesher: HostMesher {
    public private(set) var meshed: [URL] = []
    public init() {}
    public func mesh(runDirectory: URL, progress: @escaping @Sendable (Double?, String) async -> Void) async throws {
        meshed.append(runDirectory)
        await progress(nil, "Meshing on the host")
        let input = runDirectory.appendingPathComponent("input")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        try Data("$MeshFormat\n2.2 0 8\n$EndMeshFormat\n".utf8).write(to: input.appendingPathComponent("input.msh"))
        try Data("zones: {}\n".utf8).write(to: input.appendingPathComponent("mesh_labelling.yml"))
    }
}
