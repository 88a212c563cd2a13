import Foundation
import GSSA
import Synchronization
import Testing

/// A Docker engine of the test's own (own socket, data root, exec root and pid file), so that
/// a test can stop and restart an engine without touching the machine's shared dockerd.
///
/// It has no bridge network and leaves iptables alone; containers run without a network.
final class PrivateDockerd: Sendable {
    let root: URL
    let socket: String
    /// The running child (replaced on restart).
    private let current = Mutex<Process?>(nil)
    var process: Process? { current.withLock { $0 } }

    init() async throws {
        // Short: a Unix socket path must stay under 108 bytes.
        root = URL(fileURLWithPath: "/tmp/gssa-pd-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        socket = root.appendingPathComponent("d.sock").path
        try await start()
    }

    var arguments: [String] {
        [
            "-H", "unix://\(socket)", "--data-root", root.appendingPathComponent("data").path,
            "--exec-root", root.appendingPathComponent("exec").path, "--pidfile", root.appendingPathComponent("d.pid").path,
            "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-masq=false", "--userland-proxy=false",
            "--shutdown-timeout", "2", "--cgroup-parent", "gssa-private-dockerd",
        ]
    }

    /// Starts the engine and waits (bounded) until it answers.
    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["dockerd"] + arguments
        let log = root.appendingPathComponent("dockerd-\(UUID().uuidString.prefix(4)).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        current.withLock { $0 = process }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if DaemonProcess.docker(["version", "--format", "{{.Server.Version}}"], host: socket)
                .trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == false
            {
                return
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let tail = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        throw GSSAError.server("the private dockerd did not come up:\n\(tail.suffix(3000))")
    }

    /// SIGTERM, as a service manager's restart does: the engine stops its containers and exits.
    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// Copies `image` from the shared engine into this one (`docker save | docker load`).
    func load(_ image: String) throws {
        let save = Process()
        save.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        save.arguments = ["docker", "save", image]
        let load = Process()
        load.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        load.arguments = ["docker", "-H", "unix://\(socket)", "load", "-q"]
        let pipe = Pipe()
        save.standardOutput = pipe
        load.standardInput = pipe
        load.standardOutput = FileHandle.nullDevice
        try save.run()
        try load.run()
        save.waitUntilExit()
        load.waitUntilExit()
        guard save.terminationStatus == 0, load.terminationStatus == 0 else {
            throw GSSAError.server("cannot copy \(image) into the private dockerd (save \(save.terminationStatus), load \(load.terminationStatus))")
        }
    }

    /// Stops the engine and removes its directories.
    func remove() {
        stop()
        // Layers may still be mounted for a moment after the engine exits.
        let data = root.appendingPathComponent("data").path
        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count > 1, fields[1].hasPrefix(data) || fields[1].hasPrefix(root.appendingPathComponent("exec").path) {
                _ = DaemonProcess.run("/usr/bin/umount", ["-l", String(fields[1])])
            }
        }
        try? FileManager.default.removeItem(at: root)
    }
}
