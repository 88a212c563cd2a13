import Foundation
import GRDB
import GSSA

/// Where a server database stands against this build's migrations: what is applied, what an
/// upgrade would apply, and what a newer gssa applied that this one does not know.
///
/// `gssa admin migrate --dry-run` prints it; ``SQLiteSimulationStore`` refuses to open a database
/// with ``unknown`` migrations, since an older binary writing a newer schema could lose data.
public struct SchemaStatus: Sendable, Hashable, Codable {
    /// Migrations of this build already applied, in order.
    public var applied: [String]
    /// Migrations of this build not applied yet, in the order an upgrade applies them.
    public var pending: [String]
    /// Applied migrations this build does not know (a newer gssa wrote the database).
    public var unknown: [String]
    /// Every migration this build knows, in order.
    public var known: [String]

    /// Nothing to apply and nothing unknown.
    public var isCurrent: Bool { pending.isEmpty && unknown.isEmpty }
}

extension SQLiteSimulationStore {
    /// The migrations this build registers, in order (their names are their identifiers).
    public static var knownMigrations: [String] { migrator.migrations }

    static func schemaStatus(_ db: Database) throws -> SchemaStatus {
        let migrator = Self.migrator
        let appliedIdentifiers = try migrator.appliedIdentifiers(db)
        let known = migrator.migrations
        return SchemaStatus(
            applied: known.filter { appliedIdentifiers.contains($0) },
            pending: known.filter { !appliedIdentifiers.contains($0) },
            unknown: appliedIdentifiers.filter { !known.contains($0) }.sorted(),
            known: known)
    }

    /// The schema of the database at `path`, read without changing it; nil when there is no
    /// database there yet (a first start creates it with every migration).
    public static func schemaStatus(path: String) throws(GSSAError) -> SchemaStatus? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(10)
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in try schemaStatus(db) }
        } catch {
            throw GSSAError.server("cannot read the schema of \(path): \(error)")
        }
    }

    static func newerSchemaError(path: String, unknown: [String]) -> GSSAError {
        GSSAError.server(
            "the database \(path) was migrated by a newer gssa (migrations this version does not know: "
                + unknown.map { "'\($0)'" }.joined(separator: ", ")
                + "); refusing to open it. Install that newer gssa again, or restore a backup made by this version "
                + "(gssa admin restore).")
    }
}
