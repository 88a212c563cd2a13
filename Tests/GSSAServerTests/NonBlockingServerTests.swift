import AsyncHTTPClient
import Foundation
import GSSA
import GSSAArchive
import GSSAServer
import GSSAServerTesting
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing

/// The manager never waits on the disk: bundling, archive checks, extraction and configuration
/// writes run on a thread pool, held here at a gate (``StepGate``, a blocked pool thread, as a
/// slow disk would), while other requests are answered; a run cancelled or cleaned meanwhile is
/// neither resurrected nor written into; bodies stream with bounded memory.
@Suite("Non-blocking server (real SQLite and HTTP, in-memory launcher)", .serialized)
struct NonBlockingServerTests {
    /// A succeeded run of the demo (through the in-memory launcher); returns its directory.
    static func succeededRun(_ server: TestServer, _ guid: String) async throws -> URL {
        let finalized = try await server.submit(guid: guid, xml: try TestServer.fixture("demo.xml"), token: server.alice,
                                                archive: try TestServer.demoArchive())
        #expect(finalized.status == .ok, "\(String(decoding: finalized.body, as: UTF8.self))")
        #expect(try await server.start(guid: guid, token: server.alice).status == .accepted)
        let summary = try await server.waitTerminal(guid, token: server.alice, seconds: 30)
        #expect(summary.state == .succeeded)
        return URL(fileURLWithPath: summary.directory)
    }

    /// `count` MiB that gzip cannot shrink (one random MiB repeated: further apart than deflate's window).
    static func incompressible(_ count: Int, to url: URL) throws {
        var generator = SystemRandomNumberGenerator()
        let block = Data((0..<(1 << 20) / 8).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } })
        FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        for _ in 0..<count { try handle.write(contentsOf: block) }
    }

    /// The resident set of this process, in bytes (Linux `/proc/self/statm`).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Whether two files hold the same bytes (compared a MiB at a time).
    static func sameBytes(_ a: URL, _ b: URL) throws -> Bool {
        let left = try FileHandle(forReadingFrom: a), right = try FileHandle(forReadingFrom: b)
        defer { try? left.close(); try? right.close() }
        while true {
            let x = try left.read(upToCount: 1 << 20) ?? Data(), y = try right.read(upToCount: 1 << 20) ?? Data()
            if x != y { return false }
            if x.isEmpty { return true }
        }
    }

    @Test("status, search and the actor answer while a results bundle is held at its gate on the pool; then it downloads whole")
    func statusWhileBundling() async throws {
        let gate = StepGate(holding: .bundle)
        try await TestServer.withServer(launcher: InMemoryLauncher(), work: gate.work) { server in
            defer { gate.open() }
            let guid = newGUID()
            _ = try await Self.succeededRun(server, guid)

            async let download = server.request(.GET, "/api/v1/simulations/\(guid)/results", token: server.alice)
            await gate.reached()
            // The bundle's pool thread is blocked; the manager and the HTTP server are not.
            #expect(try await server.summary(guid, token: server.alice).state == .succeeded)
            #expect(try await server.request(.GET, "/api/v1/simulations?limit=5", token: server.alice).status == .ok)
            #expect(try await server.request(.GET, "/api/v1/simulations/\(guid)/properties", token: server.alice).status == .ok)
            let other = newGUID()
            #expect(try await server.request(.POST, "/api/v1/simulations/\(other)/init", token: server.alice).status == .ok)
            gate.open()
            let bundle = try await download
            #expect(bundle.status == .ok)
            let url = scratchDirectory("nonblocking").appendingPathComponent("results.tgz")
            try bundle.body.write(to: url)
            #expect(Set(try TarGzReader.members(of: url).map(\.name)).contains("\(guid)/output/result.txt"))
        }
    }

    @Test("a 64 MiB results bundle streams: RSS grows by far less than its size, and the bytes are the server's; an upload is stored byte for byte")
    func streamingBoundedAndExact() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let guid = newGUID()
            let directory = try await Self.succeededRun(server, guid)
            try Self.incompressible(64, to: directory.appendingPathComponent("output/big.bin"))

            // Download to a file, a chunk at a time, sampling this process's RSS (client and server both).
            let baseline = Self.residentBytes()
            var peak = baseline
            var request = HTTPClientRequest(url: server.base + "/api/v1/simulations/\(guid)/results")
            request.headers.add(name: "Authorization", value: "Bearer \(server.alice)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
            #expect(response.status == .ok)
            let received = scratchDirectory("nonblocking").appendingPathComponent("results.tgz")
            FileManager.default.createFile(atPath: received.path, contents: nil)
            let handle = try FileHandle(forWritingTo: received)
            var bytes = 0
            for try await chunk in response.body {
                bytes += chunk.readableBytes
                try handle.write(contentsOf: chunk.readableBytesView)
                peak = max(peak, Self.residentBytes())
            }
            try handle.close()
            #expect(bytes > 64 << 20)
            let growth = peak - baseline
            #expect(growth < 32 << 20, "RSS grew by \(growth >> 20) MiB while a \(bytes >> 20) MiB bundle downloaded")
            #expect(try Self.sameBytes(received, directory.appendingPathComponent("results_archive.tgz")))
            #expect(try TarGzReader.members(of: received).contains { $0.name == "\(guid)/output/big.bin" && $0.size == 64 << 20 })

            // Upload: an 8 MiB archive is stored exactly as sent.
            let upload = newGUID()
            #expect(try await server.request(.POST, "/api/v1/simulations/\(upload)/init", token: server.alice).status == .ok)
            let source = scratchDirectory("nonblocking").appendingPathComponent("big.bin")
            try Self.incompressible(8, to: source)
            let archiveURL = scratchDirectory("nonblocking").appendingPathComponent("input.tar.gz")
            let writer = try TarGzWriter(url: archiveURL)
            try writer.add("big.bin", .file(try Data(contentsOf: source)))
            try writer.finish()
            let sent = try await server.request(.PUT, "/api/v1/simulations/\(upload)/archive", token: server.alice,
                                                body: try Data(contentsOf: archiveURL), contentType: "application/gzip")
            #expect(sent.status == .ok, "\(String(decoding: sent.body, as: UTF8.self))")
            let stored = URL(fileURLWithPath: try sent.decode(SimulationSummary.self).directory).appendingPathComponent("upload/input.tar.gz")
            #expect(try Self.sameBytes(stored, archiveURL))
        }
    }

    @Test("a run cleaned while its finalize is held at the pull: finalize is 409, the run stays gone, nothing is re-created")
    func cleanDuringFinalize() async throws {
        let gate = StepGate(holding: .pull)
        try await TestServer.withServer(launcher: InMemoryLauncher(), work: gate.work) { server in
            defer { gate.open() }
            let guid = newGUID()
            async let finalized = server.submit(guid: guid, xml: try TestServer.fixture("demo.xml"), token: server.alice,
                                                archive: try TestServer.demoArchive())
            await gate.reached()
            let directory = URL(fileURLWithPath: try await server.summary(guid, token: server.alice).directory)
            #expect(try await server.request(.DELETE, "/api/v1/simulations/\(guid)", token: server.alice).status == .ok)
            gate.open()
            let reply = try await finalized
            #expect(reply.status == .conflict, "\(String(decoding: reply.body, as: UTF8.self))")
            #expect(reply.errorMessage.contains("cleaned"), "\(reply.errorMessage)")
            #expect(try await server.request(.GET, "/api/v1/simulations/\(guid)", token: server.alice).status == .notFound)
            #expect(!FileManager.default.fileExists(atPath: directory.path), "the pull re-created \(directory.path)")
        }
    }

    @Test("a run cancelled while its configuration write is held: finalize is 409, it stays cancelled, no configuration or output is left")
    func cancelDuringFinalize() async throws {
        // The first writeConfiguration step parses the definition; the second writes the configuration.
        let gate = StepGate(holding: .writeConfiguration, occurrence: 2)
        try await TestServer.withServer(launcher: InMemoryLauncher(), work: gate.work) { server in
            defer { gate.open() }
            let guid = newGUID()
            async let finalized = server.submit(guid: guid, xml: try TestServer.fixture("demo.xml"), token: server.alice,
                                                archive: try TestServer.demoArchive())
            await gate.reached()
            #expect(try await server.request(.POST, "/api/v1/simulations/\(guid)/cancel", token: server.alice).status == .ok)
            let directory = URL(fileURLWithPath: try await server.summary(guid, token: server.alice).directory)
            // Cancelled while the write waits for the disk: what it then writes is taken back.
            gate.open()
            let reply = try await finalized
            #expect(reply.status == .conflict, "\(String(decoding: reply.body, as: UTF8.self))")
            let summary = try await server.summary(guid, token: server.alice)
            #expect(summary.state == .cancelled)
            #expect(summary.exitStatus?.code == .cancelled)
            for left in ["output", "transfer", "input/tumour-1.stl"] {
                #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(left).path), "\(left) was left")
            }
        }
    }

    @Test("a run cancelled while its definition write is held: the upload is 409 and the run stays cancelled")
    func cancelDuringDefinition() async throws {
        let gate = StepGate(holding: .writeDefinition)
        try await TestServer.withServer(launcher: InMemoryLauncher(), work: gate.work) { server in
            defer { gate.open() }
            let guid = newGUID()
            #expect(try await server.request(.POST, "/api/v1/simulations/\(guid)/init", token: server.alice).status == .ok)
            async let uploaded = server.request(.PUT, "/api/v1/simulations/\(guid)/definition", token: server.alice,
                                                body: Data(try TestServer.fixture("demo.xml").utf8), contentType: "application/xml")
            await gate.reached()
            #expect(try await server.request(.POST, "/api/v1/simulations/\(guid)/cancel", token: server.alice).status == .ok)
            gate.open()
            let reply = try await uploaded
            #expect(reply.status == .conflict, "\(String(decoding: reply.body, as: UTF8.self))")
            #expect(try await server.summary(guid, token: server.alice).state == .cancelled)
        }
    }

    @Test("a run cleaned while its bundle is held at the gate: the download is 409 and no bundle is left behind")
    func cleanDuringBundle() async throws {
        let gate = StepGate(holding: .bundle)
        try await TestServer.withServer(launcher: InMemoryLauncher(), work: gate.work) { server in
            defer { gate.open() }
            let guid = newGUID()
            let directory = try await Self.succeededRun(server, guid)
            async let download = server.request(.GET, "/api/v1/simulations/\(guid)/diagnostic", token: server.alice)
            await gate.reached()
            #expect(try await server.request(.DELETE, "/api/v1/simulations/\(guid)", token: server.alice).status == .ok)
            gate.open()
            let reply = try await download
            #expect(reply.status == .conflict, "\(String(decoding: reply.body, as: UTF8.self))")
            #expect(!FileManager.default.fileExists(atPath: directory.path))
        }
    }

    @Test("the http transferrer streams: a 6 MiB pull and push arrive byte for byte; a pull over its limit fails naming it and leaves nothing")
    func httpTransferrerStreams() async throws {
        let served = scratchDirectory("served")
        try Self.incompressible(6, to: served.appendingPathComponent("big.bin"))
        let received = HTTPTransferrerTests.Received()
        try await HTTPTransferrerTests.withWebApp(received: received, served: served) { port in
            let base = "http://127.0.0.1:\(port)"

            let target = scratchDirectory("pulled")
            try await HTTPTransferrer(baseURL: base + "/files").pull([TransferFile(local: "in/big.bin", remote: "big.bin")],
                                                                      into: target, remoteRoot: ".")
            #expect(try Self.sameBytes(target.appendingPathComponent("in/big.bin"), served.appendingPathComponent("big.bin")))

            let small = HTTPTransferrer(baseURL: base + "/files", maxBytes: 1 << 20)
            await #expect(throws: GSSAError.self) {
                do {
                    try await small.pull([TransferFile(local: "over.bin", remote: "big.bin")], into: target, remoteRoot: ".")
                } catch let error as GSSAError {
                    #expect(error.code == .client && error.message.contains("\(1 << 20) bytes"), "\(error.message)")
                    throw error
                }
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: target.path).sorted() == ["in"], "a partial file was left")

            let pushed = try await HTTPTransferrer(baseURL: base).push([TransferFile(local: "big.bin", remote: "receive")],
                                                                       from: served, remoteRoot: ".")
            #expect(pushed["big.bin"] == base + "/receive")
            let bodies = await received.bodies
            let original = try Data(contentsOf: served.appendingPathComponent("big.bin"))
            #expect(bodies.count == 1 && bodies[0].contentType.hasPrefix("multipart/form-data"))
            #expect(bodies.first.map { $0.body.range(of: original) != nil } == true, "the pushed bytes differ")
        }
    }
}
