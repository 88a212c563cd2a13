import Foundation
import Testing

/// Which real parts (engine, images, tools) this machine has, for tests that need them.
///
/// A test that needs a real part declares it with a trait such as ``Testing/Trait/requiresDockerEngine``.
/// Locally, a missing part shows the test as *skipped* with the reason. Under `CI=true` the test
/// is never skipped: it runs, and fails on the missing part, so CI cannot pass without it.
public enum RealParts {
    /// True when tests must not skip for a missing part.
    public static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The Docker Engine API socket, from `DOCKER_HOST` (`unix://` only) or the default.
    public static var dockerSocket: String {
        if let host = ProcessInfo.processInfo.environment["DOCKER_HOST"], host.hasPrefix("unix://") {
            return String(host.dropFirst("unix://".count))
        }
        return "/var/run/docker.sock"
    }

    /// Whether a Docker engine answers `GET /_ping` on ``dockerSocket``; asked once per process.
    public static let dockerEngineAnswers: Bool = ping(socket: dockerSocket)

    /// Whether `docker image inspect` finds every one of `images`.
    public static func imagesPresent(_ images: [String]) -> Bool {
        guard dockerEngineAnswers else { return false }
        return (try? run("/usr/bin/env", ["docker", "image", "inspect"] + images)) == 0
    }

    /// Whether the interpreter `python` (a path, or a name on `PATH`) can import `module`.
    public static func pythonModulePresent(_ module: String, python: String) -> Bool {
        (try? run("/usr/bin/env", [python, "-c", "import \(module)"])) == 0
    }

    /// Whether an executable named `tool` is on `PATH`.
    public static func toolOnPath(_ tool: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// A blocking `GET /_ping` over a Unix socket, bounded to two seconds.
    static func ping(socket path: String) -> Bool {
        let fd = Foundation.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { return false }
        let request = Array("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n".utf8)
        guard write(fd, request, request.count) == request.count else { return false }
        var reply = [UInt8](repeating: 0, count: 64)
        let count = read(fd, &reply, reply.count)
        guard count > 0 else { return false }
        return String(decoding: reply[..<count], as: UTF8.self).contains(" 200 ")
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test when a Docker engine answers, or always under `CI=true` (where a missing
    /// engine must fail the test rather than skip it).
    public static var requiresDockerEngine: Self {
        .enabled(if: RealParts.inCI || RealParts.dockerEngineAnswers, "no Docker engine answers (under CI=true this fails)")
    }

    /// Runs the test when every one of `images` is built, or always under `CI=true`.
    public static func requiresImages(_ images: String...) -> Self {
        .enabled(
            if: RealParts.inCI || RealParts.imagesPresent(images),
            "image(s) \(images.joined(separator: ", ")) not built: run `gssa images build all` (under CI=true this fails)")
    }

    /// Runs the test when every one of `images` is built; under `CI=true`, always when the
    /// environment variable `variable` is `1` (that CI job builds them, so a missing one fails),
    /// else only when they are built. For images too big to build in every CI job.
    public static func requiresImages(_ images: String..., requiredInCIWhen variable: String) -> Self {
        let required = RealParts.inCI && ProcessInfo.processInfo.environment[variable] == "1"
        return .enabled(
            if: required || RealParts.imagesPresent(images),
            "image(s) \(images.joined(separator: ", ")) not built: run `gssa images build all` (required when CI=true and \(variable)=1)")
    }

    /// Runs the test when the file at `path` exists and is executable, or always under
    /// `CI=true`; `hint` says how to make it.
    public static func requiresExecutable(_ path: String, _ hint: String) -> Self {
        .enabled(
            if: RealParts.inCI || FileManager.default.isExecutableFile(atPath: path),
            "\(path) is missing: \(hint) (under CI=true this fails)")
    }

    /// Runs the test when the interpreter `python` imports `module`, or always under `CI=true`.
    public static func requiresPythonModule(_ module: String, python: String = "python3") -> Self {
        .enabled(
            if: RealParts.inCI || RealParts.pythonModulePresent(module, python: python),
            "\(python) cannot import \(module) (under CI=true this fails)")
    }

    /// Runs the test when `tool` is on PATH, or always under `CI=true`.
    public static func requiresTool(_ tool: String) -> Self {
        .enabled(if: RealParts.inCI || RealParts.toolOnPath(tool), "\(tool) is not installed (under CI=true this fails)")
    }
}
