import ContainerEngine
import Foundation
import GSSAArchive
import GSSACore
import GSSATestSupport
import Testing

/// ``DockerEngine`` against the real dockerd (CI starts one; a missing engine fails under CI=true).
@Suite("Docker engine API", .serialized, .requiresDockerEngine, .requiresImages(DockerFixture.image))
struct DockerEngineTests {
    @Test func containerLifecycleThroughTheEngineAPI() async throws {
        try await withDockerEngine { engine, image in
            let info = try await engine.info()
            #expect(APIVersion(info.apiVersion)! >= DockerEngine.minimumAPIVersion)
            let imageInfo = try #require(try await engine.inspectImage(image))
            #expect(imageInfo.id.hasPrefix("sha256:"))
            #expect(try await engine.inspectImage("gssa/does-not-exist:never") == nil)

            let label = "engine-test-\(UUID().uuidString.prefix(8))"
            let spec = ContainerSpec(
                image: image,
                // Holds until the test drops /shared/go in, so pause never races the exit on a busy host.
                command: ["/bin/sh", "-c", "cat /shared/in/hello.txt; echo to-stderr >&2; i=0; while [ ! -e /shared/go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; mkdir -p /shared/out; echo done > /shared/out/result.txt; exit 3"],
                environment: ["GSSA_TEST": "1"], labels: ["gssa.test": label], user: "0",
                memoryBytes: 64 << 20, nanoCPUs: 500_000_000, pidsLimit: 64)
            let id = try await engine.createContainer(spec, name: nil)
            do {

                // Stage a file into the created, not yet started, container.
                let tar = try TarBuilder.build([
                    TarEntry(path: "shared", content: .directory, mode: 0o755),
                    TarEntry(path: "shared/in", content: .directory, mode: 0o755),
                    TarEntry(path: "shared/in/hello.txt", content: .data(Data("hello from the host\n".utf8)), mode: 0o644),
                ])
                try await engine.putArchive(id, path: "/", tar: tar)
                let listed = try await engine.listContainers(labels: ["gssa.test": label], all: true)
                #expect(listed.map(\.id) == [id])
                #expect(try await engine.listContainers(labels: ["gssa.test": label], all: false).isEmpty)

                try await engine.startContainer(id)
                try await engine.pauseContainer(id)
                #expect(try await engine.inspectContainer(id)?.status == .paused)
                try await engine.unpauseContainer(id)
                try await engine.putArchive(id, path: "/", tar: try TarBuilder.build([
                    TarEntry(path: "shared/go", content: .data(Data()), mode: 0o644),
                ]))

                var stdout = ""
                var stderr = ""
                try await engine.logs(id, follow: true) { chunk in
                    if chunk.stream == .stdout { stdout += String(decoding: chunk.bytes, as: UTF8.self) }
                    if chunk.stream == .stderr { stderr += String(decoding: chunk.bytes, as: UTF8.self) }
                }
                #expect(stdout == "hello from the host\n")
                #expect(stderr == "to-stderr\n")
                #expect(try await engine.waitContainer(id) == 3)
                let inspection = try #require(try await engine.inspectContainer(id))
                #expect(inspection.exitCode == 3 && !inspection.oomKilled && inspection.status == .exited)
                #expect(inspection.imageID == imageInfo.id)
                #expect(inspection.labels["gssa.test"] == label)

                let scratch = try Scratch()
                defer { scratch.remove() }
                let out = scratch.root.appendingPathComponent("out.tar")
                #expect(try await engine.getArchive(id, path: "/shared/out", to: out))
                #expect(try await engine.getArchive(id, path: "/shared/missing", to: out) == false)
                #expect(try await engine.getArchive(id, path: "/shared/out", to: out))
                let dest = try scratch.directory("dest")
                try TarExtractor.extractSafely(out, into: dest, stripComponents: 1)
                #expect(scratch.read("dest/result.txt") == "done\n")

                try await engine.removeContainer(id, force: false)
                #expect(try await engine.inspectContainer(id) == nil)
            } catch {
                // The container goes on any failure too (awaited, not left to a stray task).
                try await engine.removeContainer(id, force: true)
                throw error
            }
        }
    }

    @Test func killStopsARunningContainer() async throws {
        try await withDockerEngine { engine, image in
            let id = try await engine.createContainer(
                ContainerSpec(image: image, command: ["sleep", "600"], labels: ["gssa.test": "engine-kill"]), name: nil)
            do {
                try await engine.startContainer(id)
                #expect(try await engine.inspectContainer(id)?.isRunning == true)
                try await engine.killContainer(id, signal: "KILL")
                #expect(try await engine.waitContainer(id) == 137)
                // Killing a stopped container is not an error.
                try await engine.killContainer(id, signal: "KILL")
            } catch {
                Issue.record("\(error)")
            }
            // Awaited here: a `defer { Task { … } }` may never run before the test process exits.
            try await engine.removeContainer(id, force: true)
            #expect(try await engine.inspectContainer(id) == nil)
        }
    }
}

@Suite("Safe tar extraction")
struct SafeExtractionTests {
    private func refuses(_ entries: [TarEntry], _ fragment: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let tar = scratch.root.appendingPathComponent("hostile.tar")
        try TarBuilder.write(entries, to: tar)
        let dest = try scratch.directory("dest")
        #expect {
            try TarExtractor.extractSafely(tar, into: dest, stripComponents: 1)
        } throws: { error in
            "\(error)".contains(fragment)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dest.path).isEmpty, "nothing extracted")
        #expect(!FileManager.default.fileExists(atPath: scratch.root.appendingPathComponent("evil").path))
    }

    @Test func dotDotIsRefused() throws {
        try refuses(
            [
                TarEntry(path: "out/ok.txt", content: .data(Data("fine".utf8)), mode: 0o644),
                TarEntry(path: "out/../../evil", content: .data(Data("x".utf8)), mode: 0o644),
            ], "contains '..'")
    }

    @Test func absolutePathIsRefused() throws {
        try refuses([TarEntry(path: "/tmp/evil-abs", content: .data(Data("x".utf8)), mode: 0o644)], "absolute path")
    }

    @Test func escapingSymlinksAreRefused() throws {
        try refuses([TarEntry(path: "out/link", content: .symlink(target: "/etc"), mode: 0o777)], "absolute path '/etc'")
        try refuses([TarEntry(path: "out/a/link", content: .symlink(target: "../../../evil"), mode: 0o777)], "escaping")
    }

    @Test func existingSymlinkInTheDestinationIsNotFollowed() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let outside = try scratch.directory("outside")
        let dest = try scratch.directory("dest")
        try FileManager.default.createSymbolicLink(
            atPath: dest.appendingPathComponent("logs").path, withDestinationPath: outside.path)
        let tar = scratch.root.appendingPathComponent("t.tar")
        try TarBuilder.write([TarEntry(path: "out/logs/job.out", content: .data(Data("x".utf8)), mode: 0o644)], to: tar)
        #expect(throws: GSSAError.self) { try TarExtractor.extractSafely(tar, into: dest, stripComponents: 1) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
    }

    @Test func inwardSymlinksAndSetuidBitsAreTamed() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let tar = scratch.root.appendingPathComponent("t.tar")
        try TarBuilder.write(
            [
                TarEntry(path: "out/run", content: .directory, mode: 0o755),
                TarEntry(path: "out/run/data.txt", content: .data(Data("d".utf8)), mode: 0o4755),
                TarEntry(path: "out/latest", content: .symlink(target: "run/data.txt"), mode: 0o777),
            ], to: tar)
        let dest = try scratch.directory("dest")
        let paths = try TarExtractor.extractSafely(tar, into: dest, stripComponents: 1)
        #expect(Set(paths) == ["run", "run/data.txt", "latest"])
        #expect(scratch.read("dest/latest") == "d")
        let mode = try FileManager.default.attributesOfItem(atPath: dest.appendingPathComponent("run/data.txt").path)[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o4000 } == 0)
    }
}
