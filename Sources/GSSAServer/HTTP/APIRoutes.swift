import Foundation
import GSSA
import Hummingbird
import HummingbirdWebSocket
import LaunchProtocol

/// The `/api/v1` routes: one per GSSA RPC (reference §1.3), plus events and metrics.
enum APIRoutes {
    static func add(to router: Router<ServerRequestContext>, manager: SimulationManager) {
        let api = router.group("/api/v1")

        api.get("api") { _, _ in
            try JSONResponse.make(API.Version(version: manager.configuration.apiVersion, serverID: manager.configuration.serverID))
        }

        api.get("simulations") { request, context in
            let user = try context.requireUser()
            let prefix = request.uri.queryParameters.get("prefix") ?? ""
            var limit: Int?
            if let text = request.uri.queryParameters.get("limit") {
                guard let value = Int(text) else { throw APIFailure(.badRequest, .client("limit must be an integer, not '\(text)'")) }
                limit = value
            }
            return try JSONResponse.make(API.SearchResult(simulations: try await manager.search(prefix: prefix, limit: limit, user: user)))
        }

        let run = api.group("simulations/:guid")

        run.get { _, context in
            try JSONResponse.make(try await manager.summary(guid: try guid(context), user: try context.requireUser()))
        }
        run.delete { _, context in
            let user = try context.requireUser()
            let record = try await manager.clean(guid: try guid(context), user: user)
            return try JSONResponse.make(try await manager.summary(guid: record.guid, user: user))
        }
        run.post("init") { _, context in
            let user = try context.requireUser()
            let record = try await manager.initialize(guid: try guid(context), user: user)
            return try JSONResponse.make(SimulationSummary(record: record, serverID: manager.configuration.serverID))
        }
        run.put("definition") { request, context in
            let user = try context.requireUser()
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            let record = try await manager.uploadDefinition(guid: try guid(context), xml: Data(buffer: body), user: user)
            return try JSONResponse.make(SimulationSummary(record: record, serverID: manager.configuration.serverID))
        }
        run.put("archive") { request, context in
            let user = try context.requireUser()
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            let record = try await manager.uploadInputArchive(guid: try guid(context), archive: Data(buffer: body), user: user)
            return try JSONResponse.make(SimulationSummary(record: record, serverID: manager.configuration.serverID))
        }
        run.post("files") { request, context in
            let user = try context.requireUser()
            let files = try await decode(API.Files.self, request, context)
            let record = try await manager.updateFiles(guid: try guid(context), files: files.files, user: user)
            return try JSONResponse.make(SimulationSummary(record: record, serverID: manager.configuration.serverID))
        }
        run.post("finalize") { request, context in
            let user = try context.requireUser()
            let body = try await decodeOptional(API.Finalize.self, request, context)
            let record = try await manager.finalize(guid: try guid(context), remoteDirectory: body?.directory, user: user)
            return try JSONResponse.make(SimulationSummary(record: record, serverID: manager.configuration.serverID))
        }
        run.post("start") { _, context in
            let user = try context.requireUser()
            let record = try await manager.start(guid: try guid(context), user: user)
            return try JSONResponse.make(try await manager.summary(guid: record.guid, user: user), status: .accepted)
        }
        run.post("cancel") { _, context in
            let user = try context.requireUser()
            let record = try await manager.cancel(guid: try guid(context), user: user)
            return try JSONResponse.make(try await manager.summary(guid: record.guid, user: user))
        }
        run.get("logs") { request, context in
            let user = try context.requireUser()
            var only: LogStream?
            if let text = request.uri.queryParameters.get("only") {
                guard let stream = LogStream(rawValue: text) else {
                    throw APIFailure(.badRequest, .client("only must be stdout or stderr, not '\(text)'"))
                }
                only = stream
            }
            let logs = try await manager.logs(guid: try guid(context), only: only, user: user)
            return try JSONResponse.make(API.Logs(stdout: logs.stdout, stderr: logs.stderr))
        }
        run.get("properties") { _, context in
            try JSONResponse.make(try await manager.properties(guid: try guid(context), user: try context.requireUser()))
        }
        run.get("events") { _, context in
            try JSONResponse.make(API.Events(events: try await manager.events(guid: try guid(context), user: try context.requireUser())))
        }
        run.post("request-files") { request, context in
            let user = try context.requireUser()
            let files = try await decode(API.Files.self, request, context)
            return try JSONResponse.make(API.Pushed(pushed: try await manager.pushFiles(guid: try guid(context), files: files.files, user: user)))
        }
        for kind in [SimulationManager.Bundle.results, .diagnostic] {
            run.get(RouterPath(stringLiteral: kind.rawValue)) { _, context in
                let url = try await manager.bundle(kind, guid: try guid(context), user: try context.requireUser())
                let data = try Data(contentsOf: url)
                return Response(
                    status: .ok,
                    headers: [.contentType: "application/gzip",
                              .contentDisposition: "attachment; filename=\"\(url.lastPathComponent)\""],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
            }
            run.post(RouterPath(stringLiteral: kind.rawValue)) { request, context in
                let user = try context.requireUser()
                let target = try await decode(API.Target.self, request, context)
                return try JSONResponse.make(API.Pushed(pushed: try await manager.pushBundle(kind, guid: try guid(context), target: target.target, user: user)))
            }
        }

        api.post("compare") { request, context in
            _ = try context.requireUser()
            let body = try await decode(API.Compare.self, request, context)
            let differences = try manager.compare(Data(body.left.utf8), Data(body.right.utf8))
            return try JSONResponse.make(API.Differences(equal: differences.isEmpty, differences: differences))
        }

        api.ws("events") { _, context in
            context.user == nil ? .dontUpgrade : .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            guard let user = context.requestContext.user else { return }
            try await EventsSocket.serve(inbound: inbound, outbound: outbound, user: user, manager: manager,
                                         replay: context.request.uri.queryParameters.get("replay") == "1")
        }

        router.get("metrics") { _, _ in
            await manager.refreshMetrics()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: manager.metrics.exposition())))
        }
    }

    static func guid(_ context: ServerRequestContext) throws -> String {
        try context.parameters.require("guid")
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: ServerRequestContext) async throws -> T {
        let body = try await request.body.collect(upTo: 16 << 20)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: body))
        } catch {
            throw APIFailure(.badRequest, .client("request body is not a valid \(T.self) JSON object: \(error)"))
        }
    }

    static func decodeOptional<T: Decodable>(_ type: T.Type, _ request: Request, _ context: ServerRequestContext) async throws -> T? {
        let body = try await request.body.collect(upTo: 16 << 20)
        guard body.readableBytes > 0 else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: body))
        } catch {
            throw APIFailure(.badRequest, .client("request body is not a valid \(T.self) JSON object: \(error)"))
        }
    }
}
