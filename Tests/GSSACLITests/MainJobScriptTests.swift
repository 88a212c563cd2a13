import Foundation
import GSSATestSupport
import Testing

/// The README's first command, `scripts/main-job`: progress instead of silence, build output in
/// log files it names, and a closing list of what to open next that names only existing files.
@Suite(.serialized) struct MainJobScriptTests {
    @Test func progressCondensesABuildAndKeepsItsWholeOutput() async throws {
        let log = scratchDirectory().appendingPathComponent("build.log")
        let result = try await GSSABinary.runTool("/bin/bash", [
            "-c", #"{ for i in $(seq 1 200); do echo "[$i/200] Compiling Module$i.swift"; done; echo "Step 3/9 : RUN apt-get install"; printf 'last line'; }"#
                + " | scripts/progress \"$0\" build", log.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let shown = result.stdout.split(separator: "\n").map(String.init)
        let steps = shown.filter { $0.hasPrefix("  build: ") && $0.hasSuffix("%)") }
        // A line per 10 %, not one per compiled file.
        #expect(steps.count >= 10 && steps.count <= 11, "\(shown.count) lines shown: \(shown.prefix(12))")
        #expect(steps.last == "  build: 200/200 (100 %)", "\(steps)")
        #expect(shown.contains("  build: Step 3/9 : RUN apt-get install"))
        let kept = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        #expect(kept.count == 202 && kept.last == "last line", "\(kept.suffix(2))")
    }

    @Test(.requiresDockerEngine, .requiresImages("gssa/fenics:bookworm"))
    func mainJobEndsWithWhatToOpenAndItExists() async throws {
        let scratch = scratchDirectory()
        let logs = scratch.appendingPathComponent("logs")
        let result = try await GSSABinary.runTool("/bin/bash", ["scripts/main-job", scratch.appendingPathComponent("out").path], environment: [
            "GSSA_BIN": GSSABinary.executable.path, "GSSA_RUNNER": RunPipelineTests.runner,
            "GSSA_LOG_DIR": logs.path, "GSSA_DATA": scratch.appendingPathComponent("data").path,
            "GSSA_LAUNCHER_SOCKET": scratch.appendingPathComponent("none.sock").path,
        ])
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // The images step names its log, and the log holds what docker/images printed.
        let images = logs.appendingPathComponent("images.log").path
        #expect(lines.contains("   (full output: \(images))"), "\(lines)")
        #expect(((try? String(contentsOfFile: images, encoding: .utf8)) ?? "").contains("IMAGE fenics "))
        let next = try #require(lines.firstIndex { $0.hasPrefix("== done in ") && $0.hasSuffix("Open next:") }, "\(lines)")
        var named: [String: String] = [:]
        for line in lines[(next + 1)...] {
            for kind in ["preview", "summary", "results", "bundle", "logs"] where line.hasPrefix("  \(kind):") {
                let path = String(line.dropFirst(kind.count + 3).drop { $0 == " " }.prefix { $0 != " " })
                named[kind] = path
                #expect(FileManager.default.fileExists(atPath: path), "\(kind) names a missing \(path)")
            }
        }
        #expect(Set(named.keys) == ["preview", "summary", "results", "bundle", "logs"], "\(lines[next...])")
        #expect(named["preview"]?.hasSuffix(".png") == true)
        // The server recipe starts from the daemon configuration gssa run left behind.
        let server = try #require(lines.first { $0.hasPrefix("  server:") }, "\(lines[next...])")
        #expect(server.contains("HTTP API"))
        let config = scratch.appendingPathComponent("data/daemon/dockerlaunch.yml").path
        #expect(lines.contains { $0.contains("--config \(config)") } && FileManager.default.fileExists(atPath: config))
    }
}
