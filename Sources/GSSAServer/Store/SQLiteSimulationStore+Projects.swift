import Foundation
import GRDB
import GSSA

/// Projects, memberships and quotas (migration v7).
extension SQLiteSimulationStore {
    public func projects(of user: String) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT project FROM project_members WHERE user = ? ORDER BY createdAt, rowid", arguments: [user])
        }
    }

    public func projectExists(_ name: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM projects WHERE name = ?)", arguments: [name]) ?? false
        }
    }

    public func quotas(_ scope: QuotaScope) async throws -> [String: Quota] {
        try await pool.read { db in
            var quotas: [String: Quota] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM quotas WHERE scope = ?", arguments: [scope.rawValue]) {
                quotas[row["name"]] = Quota(runs: row["runs"], cores: row["cores"], memory: row["memory"], storedBytes: row["storedBytes"])
            }
            return quotas
        }
    }

    public func records(finishedSince date: Date) async throws -> [SimulationRecord] {
        try await pool.read { db in try SimulationRecord.filter(Column("finishedAt") >= date).fetchAll(db) }
    }

    /// Every project with its members (in the order they joined) and quota, by name.
    public func projects() async throws -> [API.Project] {
        try await pool.read { db in
            var members: [String: [String]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT project, user FROM project_members ORDER BY createdAt, rowid") {
                members[row["project"], default: []].append(row["user"])
            }
            let quotas = try Row.fetchAll(db, sql: "SELECT * FROM quotas WHERE scope = 'project'")
            var byName: [String: Quota] = [:]
            for row in quotas {
                byName[row["name"]] = Quota(runs: row["runs"], cores: row["cores"], memory: row["memory"], storedBytes: row["storedBytes"])
            }
            return try String.fetchAll(db, sql: "SELECT name FROM projects ORDER BY name").map {
                API.Project(name: $0, members: members[$0] ?? [], quota: byName[$0])
            }
        }
    }

    /// Creates a project with `members` (existing users); an existing name or an unknown user is `E_CLIENT`.
    public func addProject(_ name: String, members: [String]) async throws {
        try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM projects WHERE name = ?)", arguments: [name]) == true {
                throw GSSAError.client("project \(name) exists already")
            }
            let now = Date()
            try db.execute(sql: "INSERT INTO projects (name, createdAt) VALUES (?, ?)", arguments: [name, now])
            for user in members { try Self.addMember(db, project: name, user: user, at: now) }
        }
    }

    /// Adds and removes members of a project; an unknown project or user is `E_CLIENT`.
    public func changeMembers(project: String, add: [String], remove: [String]) async throws {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM projects WHERE name = ?)", arguments: [project]) == true else {
                throw GSSAError.client("project '\(project.prefix(64))' does not exist", attribute: "project")
            }
            let now = Date()
            for user in add { try Self.addMember(db, project: project, user: user, at: now) }
            for user in remove {
                try db.execute(sql: "DELETE FROM project_members WHERE project = ? AND user = ?", arguments: [project, user])
            }
        }
    }

    private static func addMember(_ db: Database, project: String, user: String, at date: Date) throws {
        guard try UserRecord.exists(db, key: user) else {
            throw GSSAError.client("user '\(user.prefix(64))' does not exist", attribute: "members")
        }
        try db.execute(sql: "INSERT OR IGNORE INTO project_members (project, user, createdAt) VALUES (?, ?, ?)",
                       arguments: [project, user, date])
    }

    /// Sets (or, when unlimited, removes) the quota of a user or project, which must exist.
    public func setQuota(_ scope: QuotaScope, name: String, _ quota: Quota) async throws {
        try quota.validate()
        try await pool.write { db in
            let table = scope == .user ? "users" : "projects"
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE name = ?)", arguments: [name]) == true else {
                throw GSSAError.client("\(scope.rawValue) '\(name.prefix(64))' does not exist", attribute: scope.rawValue)
            }
            if quota.isUnlimited {
                try db.execute(sql: "DELETE FROM quotas WHERE scope = ? AND name = ?", arguments: [scope.rawValue, name])
            } else {
                try db.execute(sql: """
                    INSERT OR REPLACE INTO quotas (scope, name, runs, cores, memory, storedBytes) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [scope.rawValue, name, quota.runs, quota.cores, quota.memory, quota.storedBytes])
            }
        }
    }

    /// Runs created at or after `since` (every run when nil), for usage reports.
    public func records(createdSince since: Date?) async throws -> [SimulationRecord] {
        try await pool.read { db in
            var request = SimulationRecord.all()
            if let since { request = request.filter(Column("createdAt") >= since) }
            return try request.fetchAll(db)
        }
    }
}

extension Quota {
    /// Refuses negative or non-finite fields, naming the field.
    public func validate() throws(GSSAError) {
        if let runs, runs < 0 { throw GSSAError.client("quota field 'runs' must not be negative (\(runs))", attribute: "runs") }
        if let cores, !(cores.isFinite && cores >= 0) {
            throw GSSAError.client("quota field 'cores' must be a non-negative number (\(cores))", attribute: "cores")
        }
        if let memory, memory < 0 { throw GSSAError.client("quota field 'memory' must not be negative (\(memory))", attribute: "memory") }
        if let storedBytes, storedBytes < 0 {
            throw GSSAError.client("quota field 'stored_bytes' must not be negative (\(storedBytes))", attribute: "stored_bytes")
        }
    }
}
