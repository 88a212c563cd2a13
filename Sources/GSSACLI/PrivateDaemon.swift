import Foundation
import GSSA
import LaunchClient
import Yams

/// A launch daemon for `gssa run`: the shared one when its socket answers, else a private
/// `gssa-dockerlaunch` started for this run and stopped afterwards.
///
/// The private daemon is the same program with a generated configuration: socket and data root
/// inside the data directory, only the known families' images allowed.
final class PrivateDaemon: Sendable {
    let socket: String
    private let process: Process?

    /// The keys of `dockerlaunch.yml` the private daemon needs.
    struct Configuration: Encodable {
        var socket: String
        var dataRoot: String
        var allowedImages: [String]
        var maxContainers: Int
        var runner: String

        enum CodingKeys: String, CodingKey {
            case socket, runner
            case dataRoot = "data_root"
            case allowedImages = "allowed_images"
            case maxContainers = "max_containers"
        }
    }

    private init(socket: String, process: Process?) {
        self.socket = socket
        self.process = process
    }

    static func connectOrStart(
        preferred: String, dataDirectory: URL, images: [String], say: (String) -> Void
    ) async throws -> PrivateDaemon {
        if await answers(preferred) {
            say("using the launch daemon at \(preferred)")
            return PrivateDaemon(socket: preferred, process: nil)
        }
        let directory = dataDirectory.appendingPathComponent("daemon")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let socket = directory.appendingPathComponent("dockerlaunch.sock").path
        if await answers(socket) {
            say("using the private launch daemon at \(socket)")
            return PrivateDaemon(socket: socket, process: nil)
        }
        let executable = try locate("gssa-dockerlaunch", environment: "GSSA_DOCKERLAUNCH")
        let runner = try locate("gssa-container", environment: "GSSA_RUNNER", staticBuild: true)
        let config = directory.appendingPathComponent("dockerlaunch.yml")
        let settings = Configuration(
            socket: socket, dataRoot: dataDirectory.path, allowedImages: Set(images).sorted(), maxContainers: 4,
            runner: runner.path)
        do {
            // Encoded, not interpolated: any path or image name stays one YAML scalar.
            let yaml = try YAMLEncoder().encode(settings)
            try ("# Written by `gssa run` for its private launch daemon.\n" + yaml).write(to: config, atomically: true, encoding: .utf8)
        } catch {
            throw GSSAError.server("cannot write \(config.path): \(error)")
        }
        let log = directory.appendingPathComponent("dockerlaunch.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--config", config.path, "--log-level", "warning"]
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let daemon = PrivateDaemon(socket: socket, process: process)
        for _ in 0..<150 {
            if await answers(socket) {
                say("started a private launch daemon (pid \(process.processIdentifier), log \(log.path))")
                return daemon
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        daemon.stop()
        let tail = (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").suffix(5).joined(separator: "\n") ?? ""
        throw GSSAError.server("the private launch daemon did not come up (see \(log.path)):\n\(tail)")
    }

    /// Graceful stop: the daemon leaves no containers of finished runs behind.
    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    static func answers(_ socket: String) async -> Bool {
        guard FileManager.default.fileExists(atPath: socket) else { return false }
        do {
            _ = try await LaunchClient.withConnection(socket: socket) { try await $0.usage() }
            return true
        } catch {
            return false
        }
    }

    /// Finds a gssa executable: the environment variable, the static runner build, or beside `gssa`.
    static func locate(_ name: String, environment variable: String, staticBuild: Bool = false) throws -> URL {
        let fm = FileManager.default
        var candidates: [String] = []
        let environment = ProcessInfo.processInfo.environment
        for key in [variable, variable + "_BIN"] {
            if let path = environment[key], !path.isEmpty { candidates.append(path) }
        }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        if staticBuild {
            // The runner is injected into images: only the static build (scripts/build-runner) will do.
            let root = beside.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            candidates.append(root.appendingPathComponent(".build-runner/release/\(name)").path)
            candidates.append(fm.currentDirectoryPath + "/.build-runner/release/\(name)")
        } else {
            candidates.append(beside.appendingPathComponent(name).path)
        }
        if let found = candidates.first(where: { fm.isExecutableFile(atPath: $0) }) {
            return URL(fileURLWithPath: found)
        }
        let hint = staticBuild ? " (build it with scripts/build-runner, or set \(variable))" : " (set \(variable))"
        throw GSSAError.server("cannot find \(name)\(hint); looked in \(candidates.joined(separator: ", "))")
    }
}
