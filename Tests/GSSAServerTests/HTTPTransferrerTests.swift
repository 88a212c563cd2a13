import Foundation
import GSSA
import GSSAArchive
import GSSAServer
import GSSAServerTesting
import Hummingbird
import Logging
import ServiceLifecycle
import Testing
import NIOFoundationEssentialsCompat
import NIOHTTP1

/// The `http` transferrer against a small web app standing in for Go-Smart's file endpoint.
@Suite("http transferrer")
struct HTTPTransferrerTests {
    actor Received {
        var bodies: [(contentType: String, body: Data)] = []
        func add(_ contentType: String, _ body: Data) { bodies.append((contentType, body)) }
    }

    /// Runs `body` with a web app that serves `GET /files/<name>` from the fixtures (or, streamed,
    /// from `served`) and records `POST /receive`; the app is stopped and awaited when `body` ends.
    static func withWebApp<T>(received: Received, served: URL? = nil, _ body: (Int) async throws -> T) async throws -> T {
        let router = Router()
        router.get("/files/:name") { _, context -> Response in
            let name = try context.parameters.require("name")
            if let served {
                let url = served.appendingPathComponent(name)
                return Response(status: .ok, body: try await FileIO().loadFile(path: url.path, context: context))
            }
            guard name == "tumour.stl" else { return Response(status: .notFound) }
            let data = try Data(contentsOf: TestServer.fixtures.appendingPathComponent(name))
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.post("/receive") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 26)
            await received.add(request.headers[.contentType] ?? "", Data(buffer: body))
            return .ok
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "gssa.test.webapp")
        logger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { continuation.finish() }
                try await group.run()
            }
            var iterator = ports.makeAsyncIterator()
            let outcome: Result<T, any Error>
            if let port = await iterator.next() {
                do { outcome = .success(try await body(port)) } catch { outcome = .failure(error) }
            } else {
                outcome = .failure(GSSAError.server("the test web app did not start"))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try outcome.get()
        }
    }

    @Test("pull GETs <url>/<remote>; results are POSTed as multipart field 'file'; a 404 is E_CLIENT naming the URL")
    func pullAndPush() async throws {
        let received = Received()
        try await Self.withWebApp(received: received) { port in
            try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
                let base = "http://127.0.0.1:\(port)/files"
                let guid = newGUID()
                let xml = try TestServer.fixture("http-input.xml").replacingOccurrences(of: "URL", with: base)
                let finalized = try await server.submit(guid: guid, xml: xml, token: server.alice)
                #expect(finalized.status == .ok, "\(String(decoding: finalized.body, as: UTF8.self))")
                let directory = URL(fileURLWithPath: try finalized.decode(SimulationSummary.self).directory)
                let pulled = try Data(contentsOf: directory.appendingPathComponent("input/tumour-1.stl"))
                #expect(pulled == (try Data(contentsOf: TestServer.fixtures.appendingPathComponent("tumour.stl"))))

                _ = try await server.start(guid: guid, token: server.alice)
                _ = try await server.waitTerminal(guid, token: server.alice)
                let target = "http://127.0.0.1:\(port)/receive"
                let pushed = try await server.json(.POST, "/api/v1/simulations/\(guid)/results", token: server.alice, ["target": target])
                #expect(pushed.status == .ok, "\(String(decoding: pushed.body, as: UTF8.self))")
                #expect(try pushed.decode(API.Pushed.self).pushed["results_archive.tgz"] == target)
                let bodies = await received.bodies
                #expect(bodies.count == 1)
                if let upload = bodies.first {
                    #expect(upload.contentType.hasPrefix("multipart/form-data; boundary="))
                    let text = String(decoding: upload.body.prefix(300), as: UTF8.self)
                    #expect(text.contains("name=\"file\""))
                    #expect(text.contains("filename=\"results_archive.tgz\""))
                }

                let missing = newGUID()
                let badXML = xml.replacingOccurrences(of: "input=\"tumour.stl\"", with: "input=\"absent.stl\"")
                let failed = try await server.submit(guid: missing, xml: badXML, token: server.alice)
                #expect(failed.status == .badRequest)
                #expect(failed.errorCode == "E_CLIENT")
                #expect(failed.errorMessage.contains("\(base)/absent.stl"))
                #expect(failed.errorMessage.contains("404"))
            }
        }
    }
}
