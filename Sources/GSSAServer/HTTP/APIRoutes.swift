import Foundation
import GSSA
import Hummingbird
import HummingbirdWebSocket
import LaunchProtocol
import NIOFoundationEssentialsCompat

/// The `/api/v1` routes: one per GSSA RPC (reference §1.3), plus events and metrics.
enum APIRoutes {
    /// Every route and its methods, for 405 answers with `Allow` (`:guid` matches one segment).
    static let table: [(path: String, methods: [String])] = [
        ("/api/v1/api", ["GET"]), ("/api/v1/simulations", ["GET"]), ("/api/v1/simulations/:guid", ["GET", "DELETE"]),
        ("/api/v1/simulations/:guid/init", ["POST"]), ("/api/v1/simulations/:guid/definition", ["PUT"]),
        ("/api/v1/simulations/:guid/archive", ["PUT"]), ("/api/v1/simulations/:guid/files", ["POST"]),
        ("/api/v1/simulations/:guid/finalize", ["POST"]), ("/api/v1/simulations/:guid/start", ["POST"]),
        ("/api/v1/simulations/:guid/cancel", ["POST"]),
        ("/api/v1/simulations/:guid/suspend", ["POST"]), ("/api/v1/simulations/:guid/resume", ["POST"]),
        ("/api/v1/simulations/:guid/reschedule", ["POST"]), ("/api/v1/simulations/:guid/logs", ["GET"]),
        ("/api/v1/simulations/:guid/properties", ["GET"]), ("/api/v1/simulations/:guid/events", ["GET"]),
        ("/api/v1/simulations/:guid/request-files", ["POST"]), ("/api/v1/simulations/:guid/results", ["GET", "POST"]),
        ("/api/v1/simulations/:guid/diagnostic", ["GET", "POST"]), ("/api/v1/compare", ["POST"]),
        ("/api/v1/events", ["GET"]), ("/api/v1/admin/families/reload", ["POST"]), ("/metrics", ["GET"]),
        ("/api/v1/admin/users", ["GET"]), ("/api/v1/admin/projects", ["GET", "POST"]),
        ("/api/v1/admin/projects/:guid/members", ["POST"]), ("/api/v1/admin/quotas/:guid/:guid", ["PUT"]),
        ("/api/v1/admin/usage", ["GET"]),
    ]

    /// The methods `path` answers to; nil when no route has that path.
    static func allowedMethods(_ path: String) -> [String]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        for route in table {
            let pattern = route.path.split(separator: "/")
            guard pattern.count == parts.count else { continue }
            if zip(pattern, parts).allSatisfy({ $0 == ":guid" || $0 == $1 }) { return route.methods }
        }
        return nil
    }

    static func add(to router: Router<ServerRequestContext>, manager: SimulationManager) {
        let api = router.group("/api/v1")

        api.get("api") { _, _ in
            try JSONResponse.make(API.Version(version: manager.configuration.apiVersion, serverID: manager.configuration.serverID))
        }

        api.get("simulations") { request, context in
            let user = try context.requireUser()
            let query = request.uri.queryParameters
            let known = ["prefix", "limit", "owner", "state", "family", "since", "parent"]
            for (key, _) in query where !known.contains(String(key)) {
                throw APIFailure(.badRequest, .client("unknown query parameter '\(key.prefix(64))' (known: \(known.joined(separator: ", ")))"))
            }
            var (owner, filter) = try searchFilter(request, user: user)
            if let parent = query.get("parent") {
                // The sweep's children: its owner's runs whose parent is its GUID.
                let record = try await manager.resolve(parent, user: user)
                owner = record.owner
                filter.parent = record.name
            }
            let prefix = query.get("prefix") ?? ""
            var limit: Int?
            if let text = request.uri.queryParameters.get("limit") {
                guard let value = Int(text), (0...1_000_000).contains(value) else {
                    throw APIFailure(.badRequest, .client("limit must be an integer from 0 to 1000000, not '\(text.prefix(64))'"))
                }
                limit = value
            }
            return try JSONResponse.make(API.SearchResult(
                simulations: try await manager.search(prefix: prefix, limit: limit, user: user, owner: owner, filter: filter)))
        }

        let run = api.group("simulations/:guid")

        run.get { _, context in
            try JSONResponse.make(try await manager.summary(guid: try guid(context), user: try context.requireUser()))
        }
        run.delete { _, context in
            let user = try context.requireUser()
            let record = try await manager.clean(guid: try guid(context), user: user)
            return try JSONResponse.make(try await manager.summary(of: record))
        }
        run.post("init") { _, context in
            let user = try context.requireUser()
            let record = try await manager.initialize(guid: try guid(context), user: user)
            return try JSONResponse.make(SimulationSummary(record: record, serverID: manager.configuration.serverID))
        }
        run.put("definition") { request, context in
            let user = try context.requireUser()
            let name = try guid(context)
            // Refused before a byte is parsed (or, with Content-Length, before one is read).
            let body = try await RequestBody.collect(
                request, limit: manager.configuration.limits.maximumDefinitionBytes, what: "the definition",
                hint: SimulationManager.definitionHint)
            let record = try await manager.uploadDefinition(guid: name, xml: Data(buffer: body), user: user)
            return try JSONResponse.make(SimulationSummary(record: record, serverID: manager.configuration.serverID))
        }
        run.put("archive") { request, context in
            let user = try context.requireUser()
            let name = try guid(context)
            let limits = manager.configuration.limits
            let hint = SimulationManager.hint("--max-upload-bytes")
            if let length = RequestBody.declaredLength(request), length > limits.maximumUploadBytes {
                throw APIFailure.tooLarge("the input archive", limit: limits.maximumUploadBytes, hint: hint)
            }
            let record = try await manager.prepareInputArchive(guid: name, user: user)
            // Streamed to a file in the run directory and checked there, off the manager actor.
            let incoming = SimulationManager.incomingArchive(in: URL(fileURLWithPath: record.directory))
            _ = try await RequestBody.stream(request, to: incoming, limit: limits.maximumUploadBytes, what: "the input archive", hint: hint)
            try await manager.work.run(.checkArchive, key: record.guid) { try SimulationManager.checkInputArchive(incoming, limits: limits) }
            let stored = try await manager.installInputArchive(incoming, guid: record.guid)
            return try JSONResponse.make(SimulationSummary(record: stored, serverID: manager.configuration.serverID))
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
        run.post("start") { request, context in
            let user = try context.requireUser()
            let options = try await decodeOptional(API.Start.self, request, context) 
            let record = try await manager.start(guid: try guid(context), user: user, options: options)
            return try JSONResponse.make(try await manager.summary(of: record), status: .accepted)
        }
        run.post("suspend") { _, context in
            let user = try context.requireUser()
            let record = try await manager.suspend(guid: try guid(context), user: user)
            return try JSONResponse.make(try await manager.summary(of: record))
        }
        run.post("resume") { _, context in
            let user = try context.requireUser()
            let record = try await manager.resume(guid: try guid(context), user: user)
            return try JSONResponse.make(try await manager.summary(of: record))
        }
        run.post("reschedule") { _, context in
            let user = try context.requireUser()
            let record = try await manager.reschedule(guid: try guid(context), user: user)
            return try JSONResponse.make(try await manager.summary(of: record), status: .accepted)
        }
        run.post("cancel") { _, context in
            let user = try context.requireUser()
            let record = try await manager.cancel(guid: try guid(context), user: user)
            return try JSONResponse.make(try await manager.summary(of: record))
        }
        run.get("logs") { request, context in
            let user = try context.requireUser()
            var only: LogStream?
            if let text = request.uri.queryParameters.get("only") {
                guard let stream = LogStream(rawValue: text) else {
                    throw APIFailure(.badRequest, .client("only must be stdout or stderr, not '\(text.prefix(64))'"))
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
                // Streamed from disk, a chunk at a time (never the whole bundle in memory).
                return Response(
                    status: .ok,
                    headers: [.contentType: "application/gzip",
                              .contentDisposition: "attachment; filename=\"\(url.lastPathComponent)\""],
                    body: try await StreamingBody.file(url))
            }
            run.post(RouterPath(stringLiteral: kind.rawValue)) { request, context in
                let user = try context.requireUser()
                let target = try await decode(API.Target.self, request, context)
                return try JSONResponse.make(API.Pushed(pushed: try await manager.pushBundle(kind, guid: try guid(context), target: target.target, user: user)))
            }
        }

        api.post("admin/families/reload") { _, context in
            guard try context.requireUser().admin else {
                throw APIFailure(.forbidden, .client("reloading the families needs an admin token"))
            }
            return try JSONResponse.make(await manager.reloadFamilies())
        }

        AdminRoutes.add(to: api, manager: manager)

        api.post("compare") { request, context in
            _ = try context.requireUser()
            let body = try await decode(API.Compare.self, request, context)
            for (side, text) in [("left", body.left), ("right", body.right)] where text.utf8.count > InputLimits.maximumDefinitionBytes {
                throw APIFailure.tooLarge("the \(side) definition", limit: Int64(InputLimits.maximumDefinitionBytes),
                                          hint: SimulationManager.definitionHint)
            }
            let differences = try manager.compare(Data(body.left.utf8), Data(body.right.utf8))
            return try JSONResponse.make(API.Differences(equal: differences.isEmpty, differences: differences))
        }

        api.ws("events") { request, context in
            _ = try context.requireUser()
            guard request.headers[.upgrade]?.lowercased().contains("websocket") == true else {
                throw APIFailure(.upgradeRequired, .client("/api/v1/events is a WebSocket: send 'Upgrade: websocket'"))
            }
            return .upgrade([:])
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

    /// `owner` (`me` is the caller), `state` (comma-separated), `family`, `since` (ISO-8601).
    static func searchFilter(_ request: Request, user: UserRecord) throws -> (owner: String?, filter: RunFilter) {
        let query = request.uri.queryParameters
        var filter = RunFilter()
        var owner: String?
        if let text = query.get("owner") {
            guard !text.isEmpty, text.count <= 64 else { throw APIFailure(.badRequest, .client("owner must be a user name or 'me', 1 to 64 characters")) }
            owner = text == "me" ? user.name : text
        }
        if let text = query.get("state") {
            var states = Set<SimulationState>()
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                guard let state = SimulationState(rawValue: String(part)) else {
                    throw APIFailure(.badRequest, .client(
                        "state '\(part.prefix(64))' is not one of \(SimulationState.allCases.map(\.rawValue).joined(separator: ", "))"))
                }
                states.insert(state)
            }
            filter.states = states
        }
        if let text = query.get("family") {
            guard !text.isEmpty, text.count <= 64 else { throw APIFailure(.badRequest, .client("family must be 1 to 64 characters")) }
            filter.family = text
        }
        if let text = query.get("since") {
            guard let time = Timestamp(iso8601: text) else {
                throw APIFailure(.badRequest, .client("since must be an ISO-8601 time like 2026-11-30T12:00:00Z, not '\(text.prefix(64))'"))
            }
            filter.since = time.date
        }
        return (owner, filter)
    }

    static func guid(_ context: ServerRequestContext) throws -> String {
        try context.parameters.require("guid")
    }

    static func jsonBody(_ request: Request, _ context: ServerRequestContext) async throws -> ByteBuffer {
        try await RequestBody.collect(
            request, limit: context.maximumJSONBytes, what: "the JSON request body", hint: " (a fixed maximum)")
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: ServerRequestContext) async throws -> T {
        let body = try await jsonBody(request, context)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: body))
        } catch {
            throw APIFailure(.badRequest, .client("request body is not a valid \(T.self) JSON object: \(error)"))
        }
    }

    static func decodeOptional<T: Decodable>(_ type: T.Type, _ request: Request, _ context: ServerRequestContext) async throws -> T? {
        let body = try await jsonBody(request, context)
        guard body.readableBytes > 0 else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: body))
        } catch {
            throw APIFailure(.badRequest, .client("request body is not a valid \(T.self) JSON object: \(error)"))
        }
    }
}
