import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A tool run with posix_spawn and reaped with waitpid on a thread of its own. Foundation's
/// `Process` did not notice the exit of scripts/swarm-up (whose dockerds outlive it, detached
/// with setsid) and left it a zombie; this waits for exactly the one child.
public struct SpawnedProcess: Sendable {
    public var status: Int32
    public var stdoutText: String
    public var stderrText: String

    /// Runs `path` with `arguments` (and `environment`, else this process's), stdin from /dev/null.
    public static func run(_ path: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> SpawnedProcess {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<SpawnedProcess, any Error>) in
            let thread = Thread {
                continuation.resume(with: Result { try runBlocking(path, arguments, environment: environment) })
            }
            thread.start()
        }
    }

    private static func runBlocking(_ path: String, _ arguments: [String], environment: [String: String]?) throws -> SpawnedProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-spawn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("out").path
        let err = directory.appendingPathComponent("err").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard spawned == 0 else { throw SpawnError("cannot run \(path): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw SpawnError("waitpid \(path): \(String(cString: strerror(errno)))") }
        }
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return SpawnedProcess(
            status: code,
            stdoutText: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderrText: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}

/// Why a tool could not be run or waited for.
public struct SpawnError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
