import Foundation
import GSSA
import Hummingbird

/// `/api/v1/admin/…`: users, projects, quotas and usage, for admin tokens only.
enum AdminRoutes {
    static func add(to api: RouterGroup<ServerRequestContext>, manager: SimulationManager) {
        api.get("admin/users") { _, context in
            try JSONResponse.make(try await manager.adminUsers(user: try context.requireUser()))
        }
        api.get("admin/projects") { _, context in
            try JSONResponse.make(try await manager.adminProjects(user: try context.requireUser()))
        }
        api.post("admin/projects") { request, context in
            let user = try context.requireUser()
            let body = try await APIRoutes.decode(API.NewProject.self, request, context)
            return try JSONResponse.make(try await manager.addProject(body, user: user), status: .created)
        }
        api.post("admin/projects/:name/members") { request, context in
            let user = try context.requireUser()
            let body = try await APIRoutes.decode(API.Members.self, request, context)
            let name = try context.parameters.require("name")
            return try JSONResponse.make(try await manager.changeMembers(project: name, body, user: user))
        }
        api.put("admin/quotas/:scope/:name") { request, context in
            let user = try context.requireUser()
            let text = try context.parameters.require("scope")
            guard let scope = QuotaScope(rawValue: text) else {
                throw APIFailure(.badRequest, .client("quota scope must be user or project, not '\(text.prefix(64))'", attribute: "scope"))
            }
            let body = try await APIRoutes.decode(Quota.self, request, context)
            let name = try context.parameters.require("name")
            return try JSONResponse.make(try await manager.setQuota(scope, name: name, body, user: user))
        }
        api.get("admin/usage") { request, context in
            let user = try context.requireUser()
            var since: Date?
            for (key, _) in request.uri.queryParameters where key != "since" {
                throw APIFailure(.badRequest, .client("unknown query parameter '\(key.prefix(64))' (known: since)"))
            }
            if let text = request.uri.queryParameters.get("since") {
                guard let time = Timestamp(iso8601: text) else {
                    throw APIFailure(.badRequest, .client(
                        "since must be an ISO-8601 time like 2026-11-30T12:00:00Z, not '\(text.prefix(64))'", attribute: "since"))
                }
                since = time.date
            }
            return try JSONResponse.make(try await manager.usage(since: since, user: user))
        }
    }
}
