import Foundation
import GSSA
import GSSAArchive
import GSSAServer
import GSSAServerTesting
import NIOHTTP1
import Testing

/// Uploads are bounded while they stream: compressed size, expanded size and entry count for
/// archives, the GSSA-XML maximum for definitions. Refusals are 413 with the GSSA error body
/// naming the limit and how to raise it, and leave nothing on disk.
@Suite("Upload limits (real SQLite, in-memory launcher)")
struct UploadLimitTests {
    static let limits = UploadLimits(maximumUploadBytes: 64 << 10, maximumExpandedBytes: 1 << 20, maximumArchiveEntries: 100)

    static func archive(_ entries: [(String, Data)]) throws -> Data {
        let url = scratchDirectory("limits").appendingPathComponent("input.tar.gz")
        let writer = try TarGzWriter(url: url)
        for (name, data) in entries { try writer.add(name, .file(data)) }
        try writer.finish()
        return try Data(contentsOf: url)
    }

    /// What is left in the run's upload directory (incoming or installed archives).
    static func uploads(_ server: TestServer, _ guid: String) async throws -> [String] {
        let directory = URL(fileURLWithPath: try await server.summary(guid, token: server.alice).directory)
        return (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("upload").path)) ?? []
    }

    @Test("an archive over the compressed limit is refused 413 before its body is read, by length or while streaming")
    func compressedLimit() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher(), limits: Self.limits) { server in
            let guid = newGUID()
            #expect(try await server.request(.POST, "/api/v1/simulations/\(guid)/init", token: server.alice).status == .ok)

            // Content-Length promises 1 TiB; only 1 KiB is ever sent. The answer must not wait for the rest.
            let declared = try RawHTTP(port: server.port)
            defer { declared.close() }
            try await declared.write("PUT /api/v1/simulations/\(guid)/archive HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(server.alice)\r\n"
                + "Content-Type: application/gzip\r\nContent-Length: \(1 << 40)\r\n\r\n")
            try await declared.write(Data(count: 1024))
            let early = try await declared.response(timeout: 10)
            #expect(early.status == 413)
            #expect(early.body.contains("65536 bytes") && early.body.contains("--max-upload-bytes") && early.body.contains("E_CLIENT"), "\(early.body)")

            // Chunked, no length: 80 KiB sent, the body never ends. The refusal comes at the first byte over.
            let chunked = try RawHTTP(port: server.port)
            defer { chunked.close() }
            try await chunked.write("PUT /api/v1/simulations/\(guid)/archive HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(server.alice)\r\n"
                + "Content-Type: application/gzip\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in 0..<10 {
                try await chunked.write("2000\r\n")
                try await chunked.write(Data(repeating: 0x41, count: 0x2000))
                try await chunked.write("\r\n")
            }
            let streamed = try await chunked.response(timeout: 10)
            #expect(streamed.status == 413)
            #expect(streamed.body.contains("65536 bytes") && streamed.body.contains("--max-upload-bytes"), "\(streamed.body)")
            #expect(try await Self.uploads(server, guid).isEmpty, "the partial upload was removed")

            // Under the limit, the same route accepts a real archive.
            let fine = try await server.request(.PUT, "/api/v1/simulations/\(guid)/archive", token: server.alice,
                                                body: try TestServer.demoArchive(), contentType: "application/gzip")
            #expect(fine.status == .ok, "\(fine.errorMessage)")
            #expect(try await Self.uploads(server, guid) == ["input.tar.gz"])
        }
    }

    @Test("a zip bomb (expanded size) and an archive of too many entries are refused 413 naming the limit; nothing is kept")
    func expansionLimits() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher(), limits: Self.limits) { server in
            let bomb = try Self.archive([("tumour.stl", Data(count: 8 << 20))])
            #expect(bomb.count < 64 << 10, "the bomb is small compressed (\(bomb.count) bytes)")
            let crowd = try Self.archive((0..<101).map { ("f\($0).txt", Data("x".utf8)) })
            for (archive, expected, flag) in [(bomb, "expands beyond 1048576 bytes", "--max-expanded-bytes"),
                                              (crowd, "holds more than 100 entries", "--max-archive-entries")] {
                let guid = newGUID()
                let reply = try await server.request(.PUT, "/api/v1/simulations/\(guid)/archive", token: server.alice,
                                                     body: archive, contentType: "application/gzip")
                #expect(reply.status == .payloadTooLarge)
                #expect(reply.errorCode == "E_CLIENT" && reply.errorMessage.contains(expected) && reply.errorMessage.contains(flag),
                        "\(reply.errorMessage)")
                #expect(try await Self.uploads(server, guid).isEmpty)
            }
        }
    }

    @Test("an archive named by <input location> is bounded while it is extracted at finalize, and nothing stays")
    func finalizeExtractionIsBounded() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher(), limits: Self.limits) { server in
            let area = server.data.appendingPathComponent("transfer/alice")
            try FileManager.default.createDirectory(at: area, withIntermediateDirectories: true)
            try Self.archive([("tumour.stl", Data(count: 8 << 20))]).write(to: area.appendingPathComponent("bomb.tar.gz"))
            let xml = try TestServer.fixture("demo.xml").replacingOccurrences(
                of: "<transferrer class=\"tmp\"/>", with: "<transferrer class=\"tmp\"><input location=\"bomb.tar.gz\"/></transferrer>")
            let guid = newGUID()
            let reply = try await server.submit(guid: guid, xml: xml, token: server.alice)
            #expect(reply.status == .badRequest)
            #expect(reply.errorMessage.contains("expands beyond 1048576 bytes") && reply.errorMessage.contains("--max-expanded-bytes"),
                    "\(reply.errorMessage)")
            let directory = URL(fileURLWithPath: try await server.summary(guid, token: server.alice).directory)
            let left = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            #expect(!left.contains { $0.hasPrefix("gssa-pull-") || $0 == "transfer" }, "\(left)")
        }
    }

    @Test("a definition over 16 MiB is refused 413 before parsing, by length or by its bytes")
    func definitionLimit() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let guid = newGUID()
            let raw = try RawHTTP(port: server.port)
            defer { raw.close() }
            try await raw.write("PUT /api/v1/simulations/\(guid)/definition HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(server.alice)\r\n"
                + "Content-Type: application/xml\r\nContent-Length: \(InputLimits.maximumDefinitionBytes + 1)\r\n\r\n<simulationDefinition>")
            let early = try await raw.response(timeout: 10)
            #expect(early.status == 413)
            #expect(early.body.contains("\(InputLimits.maximumDefinitionBytes) bytes"), "\(early.body)")

            // Not XML at all: a parser would say 400; the size check comes first.
            let garbage = Data(repeating: 0xFF, count: InputLimits.maximumDefinitionBytes + 1)
            let reply = try await server.request(.PUT, "/api/v1/simulations/\(guid)/definition", token: server.alice,
                                                 body: garbage, contentType: "application/xml")
            #expect(reply.status == .payloadTooLarge)
            #expect(reply.errorCode == "E_CLIENT" && reply.errorMessage.contains("16777216 bytes"), "\(reply.errorMessage)")
            let compare = try await server.json(.POST, "/api/v1/compare", token: server.alice,
                                                ["left": String(repeating: "a", count: InputLimits.maximumDefinitionBytes + 1), "right": ""])
            #expect(compare.status == .payloadTooLarge)
        }
    }

    @Test("TRACE and other unrouted methods are 405 with Allow; a WebSocket upgrade without a valid token is 401")
    func methodsAndUpgrade() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            for (method, path) in [("TRACE", "/api/v1/simulations"), ("PATCH", "/api/v1/simulations/X"), ("DELETE", "/api/v1/api")] {
                let raw = try RawHTTP(port: server.port)
                defer { raw.close() }
                try await raw.write("\(method) \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(server.alice)\r\nContent-Length: 0\r\n\r\n")
                let reply = try await raw.response()
                #expect(reply.status == 405, "\(method) \(path): \(reply.status)")
                #expect(reply.headers.lowercased().contains("allow:"), "\(reply.headers)")
            }
            for token in [nil, "wrong"] as [String?] {
                let raw = try RawHTTP(port: server.port)
                defer { raw.close() }
                try await raw.write("GET /api/v1/events HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    + (token.map { "Authorization: Bearer \($0)\r\n" } ?? "") + "\r\n")
                let reply = try await raw.response()
                #expect(reply.status == 401, "token \(token ?? "none"): \(reply.status) \(reply.body)")
            }
            let plain = try await server.request(.GET, "/api/v1/events", token: server.alice)
            #expect(plain.status.code == 426)
            let unknown = try await server.request(.GET, "/api/v1/nothing", token: server.alice)
            #expect(unknown.status == .notFound && unknown.errorCode == "E_CLIENT")
        }
    }
}
