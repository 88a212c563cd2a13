import Foundation
import GRDB

/// What the runs page asks for: the store's filter plus an upper date bound and a text search.
struct RunsPageQuery: Sendable {
    var owner: String?
    var filter: RunFilter
    /// Created before this instant.
    var until: Date?
    /// A case-insensitive substring of the GUID, family, owner or status message.
    var text: String
    var offset: Int
    var limit: Int

    func matches(_ record: SimulationRecord) -> Bool {
        if let owner, record.owner != owner { return false }
        guard filter.matches(record) else { return false }
        if let until, record.createdAt >= until { return false }
        guard !text.isEmpty else { return true }
        let needle = text.lowercased()
        return [record.name, record.family ?? "", record.owner, record.message ?? ""].contains { $0.lowercased().contains(needle) }
    }
}

extension SQLiteSimulationStore {
    /// One page of runs, newest first, and how many matched: a COUNT and a LIMIT/OFFSET on the
    /// `(owner, createdAt, guid)` / `(createdAt, guid)` indexes, so the page costs the same with
    /// 10⁴ runs as with ten.
    func page(_ query: RunsPageQuery) async throws -> (records: [SimulationRecord], total: Int) {
        try await pool.read { db in
            var request = SimulationRecord.all()
            if let owner = query.owner { request = request.filter(Column("owner") == owner) }
            if let states = query.filter.states { request = request.filter(states.map(\.rawValue).contains(Column("state"))) }
            if let family = query.filter.family { request = request.filter(Column("family") == family) }
            if let since = query.filter.since { request = request.filter(Column("createdAt") >= since) }
            if let until = query.until { request = request.filter(Column("createdAt") < until) }
            if !query.text.isEmpty {
                let escaped = query.text.replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                let pattern = "%" + escaped + "%"
                request = request.filter(
                    sql: "(name LIKE ? ESCAPE '\\' OR family LIKE ? ESCAPE '\\' OR owner LIKE ? ESCAPE '\\' OR message LIKE ? ESCAPE '\\')",
                    arguments: [pattern, pattern, pattern, pattern])
            }
            let total = try request.fetchCount(db)
            let records = try request.order(Column("createdAt").desc, Column("guid").desc)
                .limit(query.limit, offset: query.offset).fetchAll(db)
            return (records, total)
        }
    }
}
