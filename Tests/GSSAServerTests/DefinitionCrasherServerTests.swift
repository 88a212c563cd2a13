import Foundation
import GSSA
import GSSAServer
import GSSAServerTesting
import NIOHTTP1
import Testing

/// The server parses definitions only through `SimulationDefinition.parse` (XMLTreeReader):
/// `PUT definition` + finalize and `POST compare` answer the crashers of
/// Tests/GSSATests/Crashers with 400 E_CLIENT naming the line, and the server keeps serving.
@Suite struct DefinitionCrasherServerTests {
    static let crashers = TestServer.repositoryRoot.appendingPathComponent("Tests/GSSATests/Crashers/gssa-xml")

    static func crasherFiles() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: crashers.path)) ?? []
        return names.sorted().map { crashers.appendingPathComponent($0) }
    }

    @Test func crashersAreRefusedAndTheServerStaysUp() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let demo = try TestServer.fixture("demo.xml")
            let deep = Data(("<simulationDefinition>" + String(repeating: "<a>", count: 50_000)).utf8)
            var inputs = try Self.crasherFiles().map { ($0.lastPathComponent, try Data(contentsOf: $0)) }
            inputs.append(("50000 nested elements", deep))
            #expect(inputs.count >= 19)

            for (name, bytes) in inputs {
                let guid = newGUID()
                #expect(try await server.request(.POST, "/api/v1/simulations/\(guid)/init", token: server.alice).status == .ok)
                let upload = try await server.request(
                    .PUT, "/api/v1/simulations/\(guid)/definition", token: server.alice, body: bytes, contentType: "application/xml")
                #expect(upload.status == .ok, "\(name): \(String(decoding: upload.body, as: UTF8.self))")
                let finalized = try await server.json(.POST, "/api/v1/simulations/\(guid)/finalize", token: server.alice, ["directory": "."])
                // A few regression inputs are valid definitions (e.g. an unprocessed xi:include).
                if (try? SimulationDefinition.parse(bytes)) != nil { continue }
                #expect(finalized.status == .badRequest, "\(name)")
                #expect(finalized.errorCode == "E_CLIENT", "\(name)")
                #expect(finalized.errorMessage.contains("line "), "\(name): \(finalized.errorMessage)")

                // POST compare carries the XML in JSON strings (invalid UTF-8 arrives as U+FFFD).
                let compared = try await server.json(
                    .POST, "/api/v1/compare", token: server.alice, ["left": String(decoding: bytes, as: UTF8.self), "right": demo])
                if compared.status != .ok {
                    #expect(compared.status == .badRequest, "\(name)")
                    #expect(compared.errorCode == "E_CLIENT", "\(name)")
                    #expect(compared.errorMessage.hasPrefix("left: line "), "\(name): \(compared.errorMessage)")
                }
            }
            let alive = try await server.request(.GET, "/api/v1/simulations", token: server.alice)
            #expect(alive.status == .ok)
        }
    }
}
