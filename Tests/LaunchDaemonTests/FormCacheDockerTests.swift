import ContainerEngine
import Foundation
import GSSAArchive
import GSSACore
import GSSATestSupport
import LaunchClient
import LaunchDaemon
import LaunchProtocol
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Compiled FEniCS forms survive between runs of one user on one image, through the real
/// daemon, dockerd, the real runner and `gssa/fenics:bookworm`; another user compiles afresh.
@Suite("Form cache on dockerd with FEniCS", .serialized, .requiresDockerEngine, .requiresImages("gssa/fenics:bookworm"))
struct FormCacheDockerTests {
    static let image = "gssa/fenics:bookworm"
    static let jitLine = "Calling FFC just-in-time (JIT) compiler"

    /// One small variational form: compiled by FFC/dijitso on a cold cache, loaded on a warm one.
    static let model = """
        from dolfin import *
        mesh = UnitSquareMesh(2, 2)
        V = FunctionSpace(mesh, "P", 1)
        u, v = TrialFunction(V), TestFunction(V)
        print("norm", assemble(inner(grad(u), grad(v)) * dx).norm("frobenius"))
        """

    private func input(_ directory: URL, owner: UInt32) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let writer = try TarGzWriter(url: directory.appendingPathComponent("start.tar.gz"))
        try writer.add("start.py", .file(Data(Self.model.utf8)))
        try writer.finish()
        chown(directory.path, owner, owner)
        chown(directory.appendingPathComponent("start.tar.gz").path, owner, owner)
    }

    private func arguments(_ guid: String, input: URL, output: URL) -> StartArguments {
        StartArguments(
            guid: guid, image: Self.image, input: input.path, output: output.path, archive: "start.tar.gz",
            target: "start.py", interpreter: "python3", logs: true)
    }

    /// JIT announcements in the run's job.out and job.err.
    private func jitCount(_ output: URL) -> Int {
        ["logs/job.out", "logs/job.err"].reduce(0) { count, name in
            let text = (try? String(contentsOf: output.appendingPathComponent(name), encoding: .utf8)) ?? ""
            return count + text.components(separatedBy: Self.jitLine).count - 1
        }
    }

    @Test func theSecondRunOfAUserSkipsCompilationAndAnotherUserDoesNotGetIt() async throws {
        let engine = try await DockerEngine.connect()
        let runner = try RealRunnerTests.runner.get()
        let scratch = try Scratch()
        defer { scratch.remove() }
        try await RunningDaemon.with(
            engine: engine, scratch: scratch, images: [Self.image], runner: runner, group: "nogroup"
        ) { daemon in
            chmod((daemon.socket as NSString).deletingLastPathComponent, 0o755)
            let root = scratch.root
            try input(root.appendingPathComponent("a/in"), owner: 0)
            var outputs: [URL] = []
            for guid in ["a1", "a2"] {
                let output = root.appendingPathComponent("a/\(guid)")
                let args = arguments(guid, input: root.appendingPathComponent("a/in"), output: output)
                let run = try await LaunchClient.withConnection(socket: daemon.socket) { client in
                    try await withTimeout(600, "FEniCS run \(guid)") { try await runToExitLong(client, args) }
                }
                #expect(run.exitCode == 0, "\(run) \(scratch.read("a/\(guid)/logs/job.err") ?? "")")
                outputs.append(output)
            }
            #expect(jitCount(outputs[0]) >= 1, "the first run compiles")
            #expect(jitCount(outputs[1]) == 0, "the second run of the same user loads the cached forms")
            let imageID = try #require(try await engine.inspectImage(Self.image)).id
            let blob = root.appendingPathComponent(".gssa-form-cache/0/\(imageID.dropFirst(7)).tar")
            #expect(FileManager.default.fileExists(atPath: blob.path), "user 0's cache is kept as a blob")

            // User B (uid 65534) starts cold: user 0's blob never reaches its container.
            let nobody = CallerRightsTests.nobody
            let home = root.appendingPathComponent("b")
            try CallerRightsTests.directory(home, mode: 0o755, owner: nobody)
            try input(home.appendingPathComponent("in"), owner: nobody)
            let socket = daemon.socket
            let startB = arguments("b1", input: home.appendingPathComponent("in"), output: home.appendingPathComponent("b1"))
            // The client process runs for the whole FEniCS run; it is waited for off the cooperative pool.
            let (reply, exit) = try await CallerRightsTests.startAsNobody(socket, startB, timeout: 600)
            #expect(reply.contains("\"success\":true"), "\(reply)")
            #expect(exit?.contains("\"exit_code\":0") == true, "\(exit ?? "no exit event")")
            #expect(jitCount(home.appendingPathComponent("b1")) >= 1, "another user compiles its own forms")
            let mine = root.appendingPathComponent(".gssa-form-cache/\(nobody)/\(imageID.dropFirst(7)).tar")
            #expect(FileManager.default.fileExists(atPath: mine.path), "and gets a cache of its own")
        }
        await engine.shutdown()
    }
}

/// A run to its exit event, without runToExit's 180 s bound (FEniCS under load takes longer).
private func runToExitLong(_ client: LaunchClient, _ arguments: StartArguments) async throws -> RunResult {
    _ = try await client.start(arguments)
    for await event in client.events where event.guid == arguments.guid {
        if case .exit(_, let result) = event { return result }
    }
    throw GSSAError.server("connection closed before run \(arguments.guid) finished")
}
