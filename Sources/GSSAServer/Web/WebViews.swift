import Foundation
import GSSA
import Hummingbird
import NIOCore
import NIOPosix

/// The dashboard's JSON views under `/web/api` (session only, same per-user rules as the API).
enum WebViews {
    /// One page of the runs list, with the total that matched.
    struct RunsPage: Encodable {
        var runs: [SimulationSummary]
        var page: Int
        var size: Int
        var total: Int
    }

    /// Who is signed in, the CSRF token for the pages' requests, and which optional API routes
    /// this server has (suspend, resume, reschedule, sweeps, admin views of other helpers).
    struct Me: Encodable {
        var user: String
        var admin: Bool
        var csrf: String
        var capabilities: [String]
        var sessionExpiresIn: Int
        enum CodingKeys: String, CodingKey {
            case user, admin, csrf, capabilities
            case sessionExpiresIn = "session_expires_in"
        }
    }

    /// What a run's page shows beyond its summary.
    struct Detail: Encodable {
        var summary: SimulationSummary
        var definition: String?
        var meshReport: String?
        var preview: Bool
        var events: [API.Event]
        enum CodingKeys: String, CodingKey {
            case summary, definition, preview, events
            case meshReport = "mesh_report"
        }
    }

    /// A sweep's children for its page: each child's summary and the scalar fields of its
    /// `summary.json` (the same fields as the parent's `sweep.csv`), so the page can plot one
    /// against a swept parameter without downloading the bundle.
    struct Sweep: Encodable {
        struct Child: Encodable {
            var summary: SimulationSummary
            var scalars: [String: String]
        }
        var parent: SimulationSummary
        var parameters: [String]
        var children: [Child]
    }

    struct Admin: Encodable {
        struct User: Encodable {
            var name: String
            var admin: Bool
            var runs: Int
            var active: Int
        }
        var users: [User]
        var states: [String: Int]
        var freeSlots: Int?
        var hostname: String?
        var serverID: String
        enum CodingKeys: String, CodingKey {
            case users, states, hostname
            case freeSlots = "free_slots"
            case serverID = "server_id"
        }
    }

    static let optionalRoutes: [(name: String, path: String)] = [
        ("suspend", "/api/v1/simulations/:guid/suspend"), ("resume", "/api/v1/simulations/:guid/resume"),
        ("reschedule", "/api/v1/simulations/:guid/reschedule"), ("admin-users", "/api/v1/admin/users"),
        ("admin-projects", "/api/v1/admin/projects"), ("admin-usage", "/api/v1/admin/usage"),
    ]

    static func add(to router: Router<ServerRequestContext>, manager: SimulationManager, store: any SimulationStore, sessions: WebSessions) {
        let web = router.group("web/api")

        web.get("me") { request, context in
            let user = try context.requireUser()
            guard let id = WebSessions.cookie(in: request.headers[.cookie]), case .valid(let session) = await sessions.lookup(id) else {
                throw APIFailure(.unauthorized, .client("not signed in: sign in at /signin"))
            }
            let capabilities = optionalRoutes.filter { APIRoutes.allowedMethods($0.path) != nil }.map(\.name)
            let left = ContinuousClock.now.duration(to: session.expires).components.seconds
            return try JSONResponse.make(Me(user: user.name, admin: user.admin, csrf: session.csrf, capabilities: capabilities,
                                            sessionExpiresIn: Int(max(0, left))))
        }

        web.get("runs") { request, context in
            let user = try context.requireUser()
            let query = request.uri.queryParameters
            let page = try integer(query.get("page"), name: "page", default: 1, range: 1...1_000_000)
            let size = try integer(query.get("size"), name: "size", default: 50, range: 1...500)
            var (owner, filter) = try APIRoutes.searchFilter(request, user: user)
            if let from = query.get("from"), !from.isEmpty { filter.since = try day(from, name: "from") }
            var until: Date?
            if let to = query.get("to"), !to.isEmpty { until = try day(to, name: "to").addingTimeInterval(86_400) }
            let text = query.get("q") ?? ""
            guard text.count <= 128 else { throw APIFailure(.badRequest, .client("q must be at most 128 characters")) }
            if let owner, !user.admin, owner != user.name {
                return try JSONResponse.make(RunsPage(runs: [], page: page, size: size, total: 0))
            }
            let pageQuery = RunsPageQuery(
                owner: owner ?? (user.admin ? nil : user.name), filter: filter, until: until, text: text,
                offset: (page - 1) * size, limit: size)
            let records: [SimulationRecord]
            let total: Int
            if let sqlite = store as? SQLiteSimulationStore {
                (records, total) = try await sqlite.page(pageQuery)
            } else {
                // Other stores (the in-memory one of the tests): the same rules, in memory.
                let all = try await store.search(prefix: "", owner: pageQuery.owner, limit: nil, filter: filter).filter(pageQuery.matches)
                records = Array(all.dropFirst(pageQuery.offset).prefix(size))
                total = all.count
            }
            var runs: [SimulationSummary] = []
            for record in records { runs.append(try await manager.summary(of: record)) }
            return try JSONResponse.make(RunsPage(runs: runs, page: page, size: size, total: total))
        }

        web.get("runs/:guid/detail") { _, context in
            let user = try context.requireUser()
            let record = try await manager.resolve(try context.parameters.require("guid"), user: user)
            let directory = URL(fileURLWithPath: record.directory)
            // Read off the cooperative pool: the run's files are on disk.
            let (definition, report, preview) = try await NIOThreadPool.singleton.runIfActive {
                (try readText(directory.appendingPathComponent("original.xml"), limit: 2 << 20),
                 try readText(directory.appendingPathComponent("mesh_report.json"), limit: 1 << 20),
                 previewImage(in: directory) != nil)
            }
            let events = try await manager.events(guid: record.name, user: user)
            return try JSONResponse.make(Detail(
                summary: try await manager.summary(of: record), definition: definition, meshReport: report,
                preview: preview, events: Array(events.suffix(500))))
        }

        web.get("runs/:guid/sweep") { _, context in
            let user = try context.requireUser()
            let parent = try await manager.resolve(try context.parameters.require("guid"), user: user)
            guard parent.isSweepParent else { throw APIFailure(.notFound, .client("run \(parent.name) is not a sweep")) }
            let records = try await store.children(owner: parent.owner, parent: parent.name)
            let places = records.map { ($0.cleaned ? nil : URL(fileURLWithPath: $0.directory)) }
            // Read off the cooperative pool: the children's summary.json files are on disk.
            let scalars = try await NIOThreadPool.singleton.runIfActive {
                places.map { directory in
                    guard let directory else { return [String: String]() }
                    return SweepBundle.summaryPaths.lazy.map { SweepBundle.summaryScalars(directory.appendingPathComponent($0)) }
                        .first { !$0.isEmpty } ?? [:]
                }
            }
            var children: [Sweep.Child] = []
            for (record, fields) in zip(records, scalars) {
                children.append(Sweep.Child(summary: try await manager.summary(of: record), scalars: fields))
            }
            return try JSONResponse.make(Sweep(parent: try await manager.summary(of: parent), parameters: parent.sweepParameters ?? [], children: children))
        }

        web.get("runs/:guid/preview") { _, context in
            let user = try context.requireUser()
            let record = try await manager.resolve(try context.parameters.require("guid"), user: user)
            let directory = URL(fileURLWithPath: record.directory)
            guard let url = try await NIOThreadPool.singleton.runIfActive({ previewImage(in: directory) }) else {
                throw APIFailure(.notFound, .client("run \(record.name) has no preview image"))
            }
            return Response(status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-cache"], body: try await StreamingBody.file(url))
        }

        web.get("admin") { _, context in
            let user = try context.requireUser()
            guard user.admin else { throw APIFailure(.forbidden, .client("the admin overview needs an admin account")) }
            var users: [String: Admin.User] = [:]
            if let sqlite = store as? SQLiteSimulationStore {
                for known in try await sqlite.users() { users[known.name] = Admin.User(name: known.name, admin: known.admin, runs: 0, active: 0) }
            }
            for record in try await store.search(prefix: "", owner: nil, limit: nil, filter: RunFilter()) {
                var entry = users[record.owner] ?? Admin.User(name: record.owner, admin: false, runs: 0, active: 0)
                entry.runs += 1
                if record.state.isActive { entry.active += 1 }
                users[record.owner] = entry
            }
            let states = try await store.countByState()
            let identity = await manager.identify()
            return try JSONResponse.make(Admin(
                users: users.values.sorted { ($0.runs, $1.name) > ($1.runs, $0.name) },
                states: Dictionary(uniqueKeysWithValues: states.map { ($0.key.rawValue, $0.value) }),
                freeSlots: identity.freeSlots, hostname: identity.hostname, serverID: manager.configuration.serverID))
        }
    }

    static func integer(_ text: String?, name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text, !text.isEmpty else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIFailure(.badRequest, .client("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound), not '\(text.prefix(32))'"))
        }
        return number
    }

    /// A day `YYYY-MM-DD` (UTC midnight) or a full ISO-8601 time.
    static func day(_ text: String, name: String) throws -> Date {
        if let time = Timestamp(iso8601: text) { return time.date }
        if let time = Timestamp(iso8601: text + "T00:00:00Z") { return time.date }
        throw APIFailure(.badRequest, .client("\(name) must be a date like 2026-11-30, not '\(text.prefix(32))'"))
    }

    /// A small text file of a run, or nil when it does not exist; a larger one is cut at `limit`.
    static func readText(_ url: URL, limit: Int) throws -> String? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            let data = try handle.read(upToCount: limit) ?? Data()
            return String(decoding: data, as: UTF8.self)
        } catch {
            throw APIFailure(.server, .server("cannot read \(url.lastPathComponent): \(error.localizedDescription)"))
        }
    }

    /// The first PNG in the run's output (a bounded walk).
    static func previewImage(in directory: URL) -> URL? {
        let output = directory.appendingPathComponent("output")
        guard let walker = FileManager.default.enumerator(at: output, includingPropertiesForKeys: [.isRegularFileKey]) else { return nil }
        var seen = 0
        for case let url as URL in walker {
            seen += 1
            if seen > 5000 { return nil }
            if url.pathExtension.lowercased() == "png" { return url }
        }
        return nil
    }
}
