import Foundation
import GSSA

extension SimulationManager {
    // MARK: administration (admins only)

    /// The SQLite store, which alone keeps projects and quotas.
    func administeredStore(_ user: UserRecord) throws -> SQLiteSimulationStore {
        guard user.admin else { throw APIFailure(.forbidden, .client("this needs an admin token")) }
        guard let store = store as? SQLiteSimulationStore else {
            throw APIFailure(.server, .server("this server's store keeps no projects or quotas"))
        }
        return store
    }

    /// Names of users and projects: letters, digits and `- _ . @`, 1 to 64.
    public nonisolated static func checkName(_ name: String, field: String) throws(GSSAError) {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.@".contains($0) }) else {
            throw GSSAError.client("\(field) '\(name.prefix(64))' may only use letters, digits and - _ . @ (1 to 64)", attribute: field)
        }
    }

    public func adminUsers(user: UserRecord) async throws -> API.Users {
        let store = try administeredStore(user)
        let quotas = try await store.quotas(.user)
        var users: [API.User] = []
        for entry in try await store.users() {
            users.append(API.User(name: entry.name, admin: entry.admin, projects: try await store.projects(of: entry.name),
                                  quota: quotas[entry.name]))
        }
        return API.Users(users: users)
    }

    public func adminProjects(user: UserRecord) async throws -> API.Projects {
        API.Projects(projects: try await administeredStore(user).projects())
    }

    public func addProject(_ project: API.NewProject, user: UserRecord) async throws -> API.Project {
        let store = try administeredStore(user)
        do {
            try Self.checkName(project.name, field: "name")
            try await store.addProject(project.name, members: project.members ?? [])
        } catch {
            throw APIFailure.from(error)
        }
        return try await store.projects().first { $0.name == project.name } ?? API.Project(name: project.name, members: [])
    }

    public func changeMembers(project: String, _ change: API.Members, user: UserRecord) async throws -> API.Project {
        let store = try administeredStore(user)
        do {
            try await store.changeMembers(project: project, add: change.add ?? [], remove: change.remove ?? [])
        } catch {
            throw APIFailure.from(error)
        }
        await pump()
        return try await store.projects().first { $0.name == project } ?? API.Project(name: project, members: [])
    }

    public func setQuota(_ scope: QuotaScope, name: String, _ quota: Quota, user: UserRecord) async throws -> Quota {
        let store = try administeredStore(user)
        do {
            try await store.setQuota(scope, name: name, quota)
        } catch {
            throw APIFailure.from(error)
        }
        // A raised quota may let queued runs start.
        await pump()
        return quota
    }

    public func usage(since: Date?, user: UserRecord) async throws -> API.Usage {
        let store = try administeredStore(user)
        let records = try await store.records(createdSince: since)
        let defaults = configuration.scheduling.defaultRequest
        return try await work.run(.usage, key: "usage") { UsageReport.make(records, since: since, defaults: defaults) }
    }
}
