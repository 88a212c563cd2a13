import Foundation
import GSSATestSupport
import Testing

/// `gssa admin doctor` names what is wrong and how to fix it, and fails (exit 1) when a check did.
@Suite("gssa admin doctor (real binary)")
struct AdminDoctorTests {
    @Test("a daemon socket open to every user, a missing image and a missing data directory each fail with a fix")
    func reportsProblemsWithFixes() async throws {
        let directory = scratchDirectory()
        let socket = directory.appendingPathComponent("d.sock").path
        let made = try await GSSABinary.runTool(
            "/usr/bin/env", ["python3", "-c", "import os, socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777)", socket])
        try #require(made.status == 0, "\(made.stderr)")
        let server = directory.appendingPathComponent("server.yml")
        try Data("data: \(directory.path)/absent\n".utf8).write(to: server)
        let daemon = directory.appendingPathComponent("dockerlaunch.yml")
        try Data("socket: \(socket)\ngroup: root\nallowed_images: [gssa/never-built:1]\n".utf8).write(to: daemon)

        let result = try await GSSABinary.run(["admin", "doctor", "--config", server.path, "--daemon-config", daemon.path])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        func line(_ check: String) -> (String, String)? {
            guard let index = lines.firstIndex(where: { $0.contains(" \(check): ") }) else { return nil }
            return (lines[index], index + 1 < lines.count ? lines[index + 1] : "")
        }
        let socketLine = try #require(line("daemon socket"), "\(result.stdout)")
        #expect(socketLine.0.hasPrefix("FAIL") && socketLine.0.contains("mode 777") && socketLine.0.contains("open to every local user"))
        #expect(socketLine.1.contains("fix:") && socketLine.1.contains("restart gssa-dockerlaunch"))
        let disk = try #require(line("disk"), "\(result.stdout)")
        #expect(disk.0.hasPrefix("FAIL") && disk.1.contains("fix:"))
        #expect(try #require(line("server config")).0.hasPrefix("ok"))
        // With an engine, the image is named as missing; without one, the engine check says how to start it.
        if let images = line("images") {
            #expect(images.0.hasPrefix("FAIL") && images.0.contains("gssa/never-built:1") && images.1.contains("gssa images build"))
        } else {
            let engine = try #require(line("engine"), "\(result.stdout)")
            #expect(engine.0.hasPrefix("FAIL") && engine.1.contains("fix:"))
        }
    }
}
