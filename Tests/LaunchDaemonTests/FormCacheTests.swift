import ContainerEngine
import ContainerEngineTesting
import Foundation
import GSSAArchive
import GSSACore
import Testing

@testable import LaunchDaemon

#if canImport(Glibc)
import Glibc
import LaunchProtocol
#endif

/// The compiled-form cache's decisions with the in-memory engine: which directory, per-user
/// keys, the entry bound, LRU eviction, and a planted symlink. The real round trip through
/// dockerd and FEniCS is in ``FormCacheDockerTests``.
@Suite("Form cache and runner digest (unit)")
struct FormCacheTests {
    private func engine() -> InMemoryEngine {
        InMemoryEngine(images: ["gssa/test": ImageInfo(id: "sha256:feed", user: "")]) { _ in { _ in 0 } }
    }

    /// A created container whose `/tmp/dijitso` holds `bytes` bytes of "compiled forms".
    private func container(_ engine: InMemoryEngine, bytes: Int) async throws -> String {
        let id = try await engine.createContainer(ContainerSpec(image: "gssa/test", command: ["true"]), name: nil)
        let tar = try TarBuilder.build([
            TarEntry(path: "dijitso", content: .directory, mode: 0o755, uid: 1000, gid: 1000),
            TarEntry(path: "dijitso/lib", content: .directory, mode: 0o755, uid: 1000, gid: 1000),
            TarEntry(path: "dijitso/lib/libdijitso-form.so", content: .data(Data(repeating: 7, count: bytes)), mode: 0o644),
        ])
        try await engine.putArchive(id, path: "/tmp", tar: tar)
        return id
    }

    private func cache(_ root: String, maxBytes: Int64 = 1 << 30, maxEntryBytes: Int64 = 1 << 20) -> FormCache {
        FormCache(directory: "\(root)/.gssa-form-cache", maxBytes: maxBytes, maxEntryBytes: maxEntryBytes)
    }

    @Test func theImageDeclaresTheDirectoryByLabelOrDijitsoEnvironment() {
        let env = ImageInfo(id: "sha256:1", user: "", environment: ["PATH=/usr/bin", "DIJITSO_CACHE_DIR=/tmp/dijitso"])
        #expect(FormCache.containerDirectory(of: env) == "/tmp/dijitso")
        let labelled = ImageInfo(
            id: "sha256:1", user: "", labels: [FormCache.label: "/home/gssa/.cache/dijitso"],
            environment: ["DIJITSO_CACHE_DIR=/tmp/dijitso"])
        #expect(FormCache.containerDirectory(of: labelled) == "/home/gssa/.cache/dijitso")
        #expect(FormCache.containerDirectory(of: ImageInfo(id: "sha256:1", user: "")) == nil)
        for bad in ["tmp/dijitso", "/", "/dijitso", "/tmp/../etc", "/tmp//x", "/tmp/./x", "/tmp/a b", "/tmp/x\n"] {
            let image = ImageInfo(id: "sha256:1", user: "", labels: [FormCache.label: bad])
            #expect(FormCache.containerDirectory(of: image) == nil, "\(bad) refused")
        }
        #expect(FormCache.parent(of: "/tmp/dijitso") == "/tmp")
    }

    @Test func blobsAreKeptPerUserAndImageAndGoBackOpaque() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = engine()
        let cache = cache(scratch.root.path)
        let id = try await container(engine, bytes: 3000)
        #expect(try cache.load(uid: 1001, imageID: "sha256:feed") == nil, "nothing before the first run")
        let size = try await cache.store(
            uid: 1001, imageID: "sha256:feed", containerID: id, containerDirectory: "/tmp/dijitso", engine: engine)
        #expect((size ?? 0) > 3000)
        let blob = try #require(try cache.load(uid: 1001, imageID: "sha256:feed"))
        #expect(Int64(blob.count) == size)
        #expect(try cache.load(uid: 1002, imageID: "sha256:feed") == nil, "another user gets nothing")
        #expect(try cache.load(uid: 1001, imageID: "sha256:beef") == nil, "another image gets nothing")
        // Staged back, the blob recreates the directory in a new container.
        let next = try await engine.createContainer(ContainerSpec(image: "gssa/test", command: ["true"]), name: nil)
        try await engine.putArchive(next, path: FormCache.parent(of: "/tmp/dijitso"), tar: blob)
        let staged = try TarReader.readAll(blob)
        #expect(staged.contains { $0.path == "dijitso/lib/libdijitso-form.so" && $0.data.count == 3000 })
        var info = stat()
        #expect(lstat(scratch.root.appendingPathComponent(".gssa-form-cache/1001").path, &info) == 0 && info.st_mode & 0o777 == 0o700)
        // A container without the directory keeps the old blob.
        let empty = try await engine.createContainer(ContainerSpec(image: "gssa/test", command: ["true"]), name: nil)
        #expect(try await cache.store(
            uid: 1001, imageID: "sha256:feed", containerID: empty, containerDirectory: "/tmp/dijitso", engine: engine) == nil)
        #expect(try cache.load(uid: 1001, imageID: "sha256:feed") == blob)
    }

    @Test func anEntryOverItsBoundIsDiscardedAndLeastRecentlyUsedGoFirst() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = engine()
        let bounded = cache(scratch.root.path, maxEntryBytes: 8 << 10)
        let big = try await container(engine, bytes: 64 << 10)
        #expect(try await bounded.store(
            uid: 7, imageID: "sha256:aa", containerID: big, containerDirectory: "/tmp/dijitso", engine: engine) == nil)
        #expect(try bounded.load(uid: 7, imageID: "sha256:aa") == nil)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.root.appendingPathComponent(".gssa-form-cache/7").path)
        #expect(leftovers.isEmpty, "no partial file stays: \(leftovers)")
        // Room for two 20 KiB blobs: the third evicts the least recently used.
        let lru = cache(scratch.root.path, maxBytes: 50 << 10, maxEntryBytes: 1 << 20)
        let small = try await container(engine, bytes: 20 << 10)
        for (uid, image) in [(1 as UInt32, "sha256:01"), (2, "sha256:02")] {
            _ = try await lru.store(uid: uid, imageID: image, containerID: small, containerDirectory: "/tmp/dijitso", engine: engine)
        }
        // Make uid 1's blob the older one, then use it: uid 2's is now least recently used.
        let one = scratch.root.appendingPathComponent(".gssa-form-cache/1/01.tar").path
        let two = scratch.root.appendingPathComponent(".gssa-form-cache/2/02.tar").path
        var old = [timeval(tv_sec: 1_000, tv_usec: 0), timeval(tv_sec: 1_000, tv_usec: 0)]
        var older = [timeval(tv_sec: 500, tv_usec: 0), timeval(tv_sec: 500, tv_usec: 0)]
        _ = utimes(one, &older)
        _ = utimes(two, &old)
        #expect(try lru.load(uid: 1, imageID: "sha256:01") != nil)
        _ = try await lru.store(uid: 3, imageID: "sha256:03", containerID: small, containerDirectory: "/tmp/dijitso", engine: engine)
        #expect(try lru.load(uid: 2, imageID: "sha256:02") == nil, "least recently used evicted")
        #expect(try lru.load(uid: 1, imageID: "sha256:01") != nil)
        #expect(try lru.load(uid: 3, imageID: "sha256:03") != nil)
    }

    @Test func aPlantedSymlinkDisablesTheCache() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let elsewhere = try scratch.directory("elsewhere")
        try FileManager.default.createSymbolicLink(
            atPath: scratch.root.appendingPathComponent(".gssa-form-cache").path, withDestinationPath: elsewhere.path)
        let engine = engine()
        let id = try await container(engine, bytes: 100)
        let cache = cache(scratch.root.path)
        #expect(throws: GSSAError.self) {
            _ = try cache.load(uid: 1, imageID: "sha256:feed")
        }
        await #expect(throws: GSSAError.self) {
            _ = try await cache.store(uid: 1, imageID: "sha256:feed", containerID: id, containerDirectory: "/tmp/dijitso", engine: engine)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty, "nothing written through the link")
    }

    @Test func configurationKeysAreParsedAndBadValuesNamed() throws {
        let base = "socket: /run/x.sock\ndata_root: /var/lib/gssa\nallowed_images: [a]\nrunner: /r\n"
        let defaults = try DaemonConfiguration.parse(yaml: base)
        #expect(defaults.formCacheBytes == 2 << 30 && defaults.formCacheEntryBytes == 64 << 20 && defaults.formCacheDirectory == nil)
        let set = try DaemonConfiguration.parse(
            yaml: base + "form_cache_dir: /srv/forms\nform_cache_bytes: 0\nform_cache_entry_bytes: 8m\n")
        #expect(set.formCacheDirectory == "/srv/forms" && set.formCacheBytes == 0 && set.formCacheEntryBytes == 8 << 20)
        for (yaml, key) in [
            ("form_cache_dir: forms\n", "form_cache_dir"), ("form_cache_bytes: lots\n", "form_cache_bytes"),
            ("form_cache_entry_bytes: 0\n", "form_cache_entry_bytes"),
        ] {
            #expect {
                try DaemonConfiguration.parse(yaml: base + yaml)
            } throws: { error in
                (error as? GSSAError)?.message.contains(key) == true
            }
        }
    }

    @Test func runnerDigestMatchesSha256sumAndTheImageLabel() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("abc", to: "runner")
        let digest = await RunnerDigest.sha256(ofFile: scratch.root.appendingPathComponent("runner").path)
        #expect(digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let baked = ImageInfo(id: "sha256:1", user: "", labels: [RunnerDigest.label: digest ?? "x"])
        #expect(RunnerDigest.imageCarries(baked, digest: digest))
        #expect(!RunnerDigest.imageCarries(ImageInfo(id: "sha256:1", user: ""), digest: digest), "unlabelled: copy")
        #expect(!RunnerDigest.imageCarries(baked, digest: nil), "no digest: copy")
        let other = ImageInfo(id: "sha256:1", user: "", labels: [RunnerDigest.label: String(repeating: "0", count: 64)])
        #expect(!RunnerDigest.imageCarries(other, digest: digest), "another runner: copy")
        #expect(await RunnerDigest.sha256(ofFile: scratch.root.appendingPathComponent("missing").path) == nil)
    }
}

/// The daemon's hooks with the in-memory engine: no runner copy into an image that carries the
/// same runner, and compiled forms that follow one uid from run to run, not another.
@Suite("Runner baking and form cache through the daemon (in memory)")
struct FormCacheDaemonTests {
    /// Reports what the container found at start (`seen.txt`), then "compiles" a form.
    static let program: @Sendable (ContainerSpec) -> InMemoryEngine.Program = { _ in
        { process in
            let runner = process.file("/gssa/bin/gssa-container") != nil
            let cached = process.file("/tmp/dijitso/lib/form.so") != nil
            process.write("/shared/output/seen.txt", "runner=\(runner) cached=\(cached)")
            process.write("/tmp/dijitso/lib/form.so", "compiled")
            process.write("/shared/output/logs/exit_status", "0\nOK")
            return 0
        }
    }

    private func run(_ daemon: LaunchDaemon, _ scratch: Scratch, uid: UInt32, _ guid: String) async throws -> String? {
        let client = Harness(daemon, uid: uid)
        let reply = try await client.request(.start, try job(scratch, guid, ""))
        #expect(reply.success, "\(reply.line)")
        let result = try await client.exit(of: guid)
        #expect(result.exitCode == 0 && result.outputCollected, "\(result)")
        await client.close()
        return scratch.read("\(guid)/output/seen.txt")
    }

    @Test func bakedRunnerIsNotCopiedAndFormsFollowOnlyTheirUser() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try "#!/bin/sh\n".write(to: scratch.root.appendingPathComponent("runner"), atomically: true, encoding: .utf8)
        let digest = try #require(await RunnerDigest.sha256(ofFile: scratch.root.appendingPathComponent("runner").path))
        let baked = ImageInfo(
            id: "sha256:feed", user: "", labels: [RunnerDigest.label: digest], environment: ["DIJITSO_CACHE_DIR=/tmp/dijitso"])
        try await withRunning(try memoryDaemon(InMemoryEngine(images: ["gssa/test": baked], program: Self.program), scratch: scratch)) { daemon in
            let a1Seen = try await run(daemon, scratch, uid: 1000, "a1")
            #expect(a1Seen == "runner=false cached=false")
            let a2Seen = try await run(daemon, scratch, uid: 1000, "a2")
            #expect(a2Seen == "runner=false cached=true", "the same user gets its forms")
            let b1Seen = try await run(daemon, scratch, uid: 2000, "b1")
            #expect(b1Seen == "runner=false cached=false", "another user does not")
        }

        // An image without the label (or with another runner) gets the runner copied; no cache directory, no cache.
        let plain = try Scratch()
        defer { plain.remove() }
        let old = try memoryDaemon(
            InMemoryEngine(images: ["gssa/test": ImageInfo(id: "sha256:feed", user: "")], program: Self.program), scratch: plain)
        try await withRunning(old) { old in
            let p1Seen = try await run(old, plain, uid: 1000, "p1")
            #expect(p1Seen == "runner=true cached=false")
            let p2Seen = try await run(old, plain, uid: 1000, "p2")
            #expect(p2Seen == "runner=true cached=false")
        }
    }
}
