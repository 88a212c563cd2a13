import Foundation
import GRDB
import GSSA

/// A consistent copy of a live server database, taken with SQLite's online backup API.
///
/// The copy comes from one read transaction of a WAL database, so it is a snapshot of one
/// moment even while the server keeps writing; the server is never paused or locked out.
public enum DatabaseBackup {
    /// Copies the database at `source` to a new file `destination` (which must not exist).
    public static func copy(from source: String, to destination: String) throws(GSSAError) {
        guard FileManager.default.fileExists(atPath: source) else {
            throw GSSAError.client("no server database at \(source)")
        }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw GSSAError.client("\(destination) exists already")
        }
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(30)
            let pool = try DatabasePool(path: source, configuration: configuration)
            defer { try? pool.close() }
            let status = try pool.read { db in try SQLiteSimulationStore.schemaStatus(db) }
            if !status.unknown.isEmpty {
                throw SQLiteSimulationStore.newerSchemaError(path: source, unknown: status.unknown)
            }
            let target = try DatabaseQueue(path: destination)
            defer { try? target.close() }
            try pool.backup(to: target)
        } catch let error as GSSAError {
            throw error
        } catch {
            throw GSSAError.server("cannot back up the database \(source): \(error)")
        }
    }
}
