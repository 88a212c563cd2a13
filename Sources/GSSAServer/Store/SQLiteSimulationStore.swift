import Foundation
import GRDB
import GSSA

extension SimulationRecord: FetchableRecord, PersistableRecord {
    public static var databaseTableName: String { "runs" }
}

extension UserRecord: FetchableRecord, PersistableRecord {
    public static var databaseTableName: String { "users" }
}

extension StoredEvent: FetchableRecord, MutablePersistableRecord {
    public static var databaseTableName: String { "events" }
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// The server's ``SimulationStore``: SQLite through GRDB, in WAL mode, with migrations.
///
/// Every state transition is written before the server acts on it, so a restart (even after
/// `kill -9`) finds each active run and reconciles it with the launch daemon.
public final class SQLiteSimulationStore: SimulationStore {
    /// Internal (not private) for the web dashboard's paged query (`SQLiteSimulationStore+Pages.swift`).
    let pool: DatabasePool

    /// Opens (creating if needed) the database at `path` and migrates it.
    public init(path: String) throws {
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            pool = try DatabasePool(path: path, configuration: configuration)
            // A database a newer gssa migrated is refused before anything touches it.
            let status = try pool.read { db in try Self.schemaStatus(db) }
            if !status.unknown.isEmpty { throw Self.newerSchemaError(path: path, unknown: status.unknown) }
            try Self.migrator.migrate(pool)
        } catch let error as GSSAError {
            throw error
        } catch {
            throw GSSAError.server("cannot open the database \(path): \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: runs, users, events") { db in
            try db.create(table: "runs") { t in
                t.primaryKey("guid", .text)
                t.column("owner", .text).notNull().indexed()
                t.column("family", .text)
                t.column("state", .text).notNull().indexed()
                t.column("exitCode", .text)
                t.column("percentage", .double)
                t.column("message", .text)
                t.column("createdAt", .datetime).notNull().indexed()
                t.column("updatedAt", .datetime).notNull()
                t.column("directory", .text).notNull()
                t.column("containerID", .text)
                t.column("imageID", .text)
                t.column("remoteDirectory", .text)
                t.column("extraFiles", .text)
                t.column("queueSequence", .integer)
                t.column("cleaned", .boolean).notNull().defaults(to: false)
            }
            try db.create(table: "users") { t in
                t.primaryKey("name", .text)
                t.column("tokenDigest", .text).notNull().unique()
                t.column("admin", .boolean).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "events") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("guid", .text).notNull().indexed()
                t.column("kind", .text).notNull()
                t.column("percentage", .double)
                t.column("code", .text)
                t.column("message", .text)
                t.column("at", .datetime).notNull()
            }
        }
        migrator.registerMigration("v2: queue index") { db in
            try db.create(index: "runs_queue", on: "runs", columns: ["state", "queueSequence"])
        }
        migrator.registerMigration("v3: search order indexes") { db in
            // `search` orders by (createdAt, guid) descending, per owner for users and overall for admins.
            try db.create(index: "runs_owner_order", on: "runs", columns: ["owner", "createdAt", "guid"])
            try db.create(index: "runs_order", on: "runs", columns: ["createdAt", "guid"])
        }
        migrator.registerMigration("v4: GUIDs namespaced per owner") { db in
            // Existing runs keep their GUID as internal key and as name: no data is reset.
            try db.alter(table: "runs") { t in
                t.add(column: "name", .text).notNull().defaults(to: "")
            }
            try db.execute(sql: "UPDATE runs SET name = guid")
            try db.create(index: "runs_owner_name", on: "runs", columns: ["owner", "name"], unique: true)
            try db.create(index: "runs_name", on: "runs", columns: ["name"])
        }
        migrator.registerMigration("v5: start and end times") { db in
            // Nothing is reset: runs that ended before v5 take their last update as end time;
            // when they started was not recorded, so it stays unknown (NULL).
            try db.alter(table: "runs") { t in
                t.add(column: "startedAt", .datetime)
                t.add(column: "finishedAt", .datetime)
            }
            try db.execute(sql: "UPDATE runs SET finishedAt = updatedAt WHERE state IN ('succeeded', 'failed', 'cancelled')")
        }
        migrator.registerMigration("v6: mesh quality warnings") { db in
            try db.alter(table: "runs") { t in t.add(column: "warnings", .text) }
        }
        migrator.registerMigration("v7: projects and quotas") { db in
            try db.create(table: "projects") { t in
                t.primaryKey("name", .text)
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "project_members") { t in
                t.column("project", .text).notNull().references("projects", onDelete: .cascade)
                t.column("user", .text).notNull().indexed()
                t.column("createdAt", .datetime).notNull()
                t.primaryKey(["project", "user"])
            }
            try db.create(table: "quotas") { t in
                t.column("scope", .text).notNull()
                t.column("name", .text).notNull()
                t.column("runs", .integer)
                t.column("cores", .double)
                t.column("memory", .integer)
                t.column("storedBytes", .integer)
                t.primaryKey(["scope", "name"])
            }
            try db.alter(table: "runs") { t in
                t.add(column: "project", .text)
                t.add(column: "priority", .integer)
                t.add(column: "cores", .double)
                t.add(column: "memory", .integer)
                t.add(column: "walltime", .double)
                t.add(column: "queuedAt", .datetime)
                t.add(column: "queueReason", .text)
            }
            try db.create(index: "runs_project", on: "runs", columns: ["project"])
            try db.create(index: "runs_finished", on: "runs", columns: ["finishedAt"])
            // Nothing is reset: every existing user gets a project of their own name (their
            // default), and every existing run is charged to its owner's project.
            let now = Date()
            for name in try String.fetchAll(db, sql: "SELECT name FROM users") {
                try db.execute(sql: "INSERT OR IGNORE INTO projects (name, createdAt) VALUES (?, ?)", arguments: [name, now])
                try db.execute(sql: "INSERT OR IGNORE INTO project_members (project, user, createdAt) VALUES (?, ?, ?)",
                               arguments: [name, name, now])
            }
            try db.execute(sql: "UPDATE runs SET project = owner WHERE project IS NULL")
        }
        migrator.registerMigration("v8: sweeps, dependencies, reschedule links") { db in
            // New columns only, all NULL for existing runs: nothing is reset.
            try db.alter(table: "runs") { t in
                t.add(column: "parent", .text)
                t.add(column: "sweepValues", .text)
                t.add(column: "sweepSize", .integer)
                t.add(column: "sweepParameters", .text)
                t.add(column: "after", .text)
                t.add(column: "rescheduledFrom", .text)
                t.add(column: "rescheduledAs", .text)
            }
            try db.create(index: "runs_owner_parent", on: "runs", columns: ["owner", "parent", "createdAt"])
        }
        migrator.registerMigration("v9: node that ran the run") { db in
            try db.alter(table: "runs") { t in t.add(column: "node", .text) }
        }
        return migrator
    }

    public func insert(_ record: SimulationRecord) async throws {
        try await pool.write { db in
            if try SimulationRecord.exists(db, key: record.guid)
                || SimulationRecord.filter(Column("owner") == record.owner && Column("name") == record.name).fetchCount(db) > 0
            {
                throw GSSAError.client("simulation \(record.name) exists already")
            }
            try record.insert(db)
        }
    }

    public func record(guid: String) async throws -> SimulationRecord? {
        try await pool.read { db in try SimulationRecord.fetchOne(db, key: guid) }
    }

    public func record(owner: String, name: String) async throws -> SimulationRecord? {
        try await pool.read { db in
            try SimulationRecord.filter(Column("owner") == owner && Column("name") == name).fetchOne(db)
        }
    }

    public func records(named name: String) async throws -> [SimulationRecord] {
        try await pool.read { db in
            try SimulationRecord.filter(Column("name") == name)
                .order(Column("createdAt").desc, Column("guid").desc).fetchAll(db)
        }
    }

    @discardableResult
    public func update(guid: String, _ change: @escaping @Sendable (inout SimulationRecord) -> Void) async throws
        -> SimulationRecord?
    {
        try await pool.write { db in
            guard var record = try SimulationRecord.fetchOne(db, key: guid) else { return nil }
            change(&record)
            try record.update(db)
            return record
        }
    }

    public func search(prefix: String, owner: String?, limit: Int?) async throws -> [SimulationRecord] {
        try await search(prefix: prefix, owner: owner, limit: limit, filter: RunFilter())
    }

    public func search(prefix: String, owner: String?, limit: Int?, filter: RunFilter) async throws -> [SimulationRecord] {
        try await pool.read { db in
            var request = SimulationRecord.all()
            if !prefix.isEmpty {
                // A range on the (owner, name) or name index, unlike LIKE.
                request = request.filter(Column("name") >= prefix && Column("name") < prefix + "\u{10FFFF}")
            }
            if let owner { request = request.filter(Column("owner") == owner) }
            if let states = filter.states { request = request.filter(states.map(\.rawValue).contains(Column("state"))) }
            if let family = filter.family { request = request.filter(Column("family") == family) }
            if let since = filter.since { request = request.filter(Column("createdAt") >= since) }
            if let parent = filter.parent { request = request.filter(Column("parent") == parent) }
            request = request.order(Column("createdAt").desc, Column("guid").desc)
            if let limit { request = request.limit(limit) }
            return try request.fetchAll(db)
        }
    }

    public func records(in states: Set<SimulationState>) async throws -> [SimulationRecord] {
        try await pool.read { db in
            try SimulationRecord
                .filter(states.map(\.rawValue).contains(Column("state")))
                .order(Column("queueSequence").ascNullsLast, Column("createdAt"), Column("guid"))
                .fetchAll(db)
        }
    }

    public func nextQueued() async throws -> SimulationRecord? {
        try await pool.read { db in
            try SimulationRecord.filter(Column("state") == SimulationState.queued.rawValue)
                .order(Column("queueSequence").ascNullsLast, Column("createdAt"), Column("guid"))
                .fetchOne(db)
        }
    }

    public func queuePosition(guid: String) async throws -> Int? {
        try await pool.read { db in
            guard let record = try SimulationRecord.fetchOne(db, key: guid), record.state == .queued else { return nil }
            guard let sequence = record.queueSequence else {
                return try SimulationRecord.filter(Column("state") == SimulationState.queued.rawValue).fetchCount(db)
            }
            // Runs ahead in the FIFO, counted on the (state, queueSequence) index.
            let ahead = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM runs WHERE state = ? AND queueSequence < ?
                """, arguments: [SimulationState.queued.rawValue, sequence]) ?? 0
            return ahead + 1
        }
    }

    public func countByState() async throws -> [SimulationState: Int] {
        try await pool.read { db in
            var counts: [SimulationState: Int] = [:]
            let rows = try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM runs GROUP BY state")
            for row in rows {
                if let state = SimulationState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }

    public func children(owner: String, parent: String) async throws -> [SimulationRecord] {
        try await pool.read { db in
            try SimulationRecord.filter(Column("owner") == owner && Column("parent") == parent)
                .order(Column("createdAt"), Column("name")).fetchAll(db)
        }
    }

    /// Two queries on the (owner, parent) index: counts and progress per state, and the first
    /// failed child.
    public func sweepTally(owner: String, parent: String) async throws -> SweepTally {
        try await pool.read { db in
            let ended = SimulationState.allCases.filter(\.isTerminal).map { "'\($0.rawValue)'" }.joined(separator: ", ")
            let rows = try Row.fetchAll(db, sql: """
                SELECT state, COUNT(*) AS n,
                       SUM(CASE WHEN state IN (\(ended)) THEN 100.0
                                ELSE MIN(100.0, MAX(0.0, COALESCE(percentage, 0.0))) END) AS progress
                FROM runs WHERE owner = ? AND parent = ? GROUP BY state
                """, arguments: [owner, parent])
            var counts: [SimulationState: Int] = [:]
            var progress = 0.0
            for row in rows {
                guard let state = SimulationState(rawValue: row["state"]) else {
                    throw GSSAError.server("sweep \(parent): a child in an unknown state '\(row["state"] as String? ?? "")'")
                }
                counts[state] = row["n"]
                progress += row["progress"] as Double? ?? 0
            }
            let failure = try Row.fetchOne(db, sql: """
                SELECT name, exitCode, message FROM runs WHERE owner = ? AND parent = ? AND state = ?
                ORDER BY createdAt, name LIMIT 1
                """, arguments: [owner, parent, SimulationState.failed.rawValue])
                .map { SweepTally.Failure(name: $0["name"], exitCode: $0["exitCode"], message: $0["message"]) }
            return SweepTally(counts: counts, progress: progress, firstFailure: failure)
        }
    }

    public func appendEvent(_ event: StoredEvent) async throws {
        try await pool.write { db in
            var event = event
            try event.insert(db)
        }
    }

    public func events(guid: String) async throws -> [StoredEvent] {
        try await pool.read { db in
            try StoredEvent.filter(Column("guid") == guid).order(Column("id")).fetchAll(db)
        }
    }

    /// Adds a user, with a project of their own name (their default) unless one exists, in
    /// which case they join it.
    public func addUser(_ user: UserRecord) async throws {
        try await pool.write { db in
            if try UserRecord.exists(db, key: user.name) {
                throw GSSAError.client("user \(user.name) exists already")
            }
            try user.insert(db)
            try db.execute(sql: "INSERT OR IGNORE INTO projects (name, createdAt) VALUES (?, ?)", arguments: [user.name, user.createdAt])
            try db.execute(sql: "INSERT OR IGNORE INTO project_members (project, user, createdAt) VALUES (?, ?, ?)",
                           arguments: [user.name, user.name, user.createdAt])
        }
    }

    /// Every user, by name.
    public func users() async throws -> [UserRecord] {
        try await pool.read { db in try UserRecord.order(Column("name")).fetchAll(db) }
    }

    /// Removes a user (their runs stay); false when there is no such user.
    public func removeUser(name: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM project_members WHERE user = ?", arguments: [name])
            return try UserRecord.deleteOne(db, key: name)
        }
    }

    /// Replaces a user's token digest, so the old token stops working; false when there is no
    /// such user.
    public func replaceToken(name: String, digest: String) async throws -> Bool {
        try await pool.write { db in
            guard var user = try UserRecord.fetchOne(db, key: name) else { return false }
            user.tokenDigest = digest
            try user.update(db)
            return true
        }
    }

    /// Forgets a run and its event log (`gssa runs clean`).
    public func removeRun(guid: String) async throws {
        try await pool.write { db in
            try StoredEvent.filter(Column("guid") == guid).deleteAll(db)
            _ = try SimulationRecord.deleteOne(db, key: guid)
        }
    }

    public func user(tokenDigest: String) async throws -> UserRecord? {
        try await pool.read { db in try UserRecord.filter(Column("tokenDigest") == tokenDigest).fetchOne(db) }
    }
}
