import Foundation
import GSSAServer

/// What `gssa --version` reports: the release, the commit it was built from, and the HTTP API.
///
/// The commit is not compiled in (SwiftPM has no build-time stamping without a plugin); it is
/// read from a `gssa.commit` file beside the executable or in `../share/gssa/` (written by the
/// packaging scripts), else from the git checkout the executable was built in.
enum BuildInfo {
    static let release = "0.4.0"

    static var version: String {
        "gssa \(release) (commit \(commit ?? "unknown"), API \(ServerConfiguration.currentAPIVersion))"
    }

    static var commit: String? {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let directory = executable.deletingLastPathComponent()
        for candidate in [
            directory.appendingPathComponent("gssa.commit"),
            directory.deletingLastPathComponent().appendingPathComponent("share/gssa/gssa.commit"),
        ] {
            if let text = try? String(contentsOf: candidate, encoding: .utf8) {
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if !trimmed.isEmpty { return trimmed }
            }
        }
        // A development build: .build/<triple>/debug/gssa inside the checkout.
        var root = directory
        while root.path != "/" {
            if FileManager.default.fileExists(atPath: root.appendingPathComponent(".git").path) {
                return gitDescribe(root)
            }
            root.deleteLastPathComponent()
        }
        return nil
    }

    private static func gitDescribe(_ root: URL) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", root.path, "describe", "--always", "--dirty", "--abbrev=12"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text + " (checkout)"
    }
}
