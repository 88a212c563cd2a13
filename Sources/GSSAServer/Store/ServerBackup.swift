import Foundation
import GSSA
import GSSAArchive

/// `gssa admin backup` and `restore`: one tar.gz holding everything a server's data directory
/// needs to come back on a fresh install.
///
/// Layout: `gssa-backup.json` (what this is), `gssa.sqlite3` (the runs, their events, users and
/// token digests: a snapshot by SQLite's online backup API, see ``DatabaseBackup``), then every
/// other entry of the data directory as it is on disk: `identity`, `runs/` (run directories with
/// their inputs, outputs and result bundles) and `transfer/`. The server keeps running while it
/// is taken; the database copy is one consistent moment, and run directories are read after it,
/// so nothing the database names is missing from the copy.
public enum ServerBackup {
    /// The manifest at the top of a backup.
    public struct Manifest: Codable, Sendable, Equatable {
        /// Bumped when the layout changes; restore refuses formats it does not know.
        public var format: Int
        public var created: Date
        public var serverID: String?
        /// The migrations the database copy carries.
        public var schema: [String]
    }

    public static let manifestName = "gssa-backup.json"
    public static let currentFormat = 1
    static let databaseName = "gssa.sqlite3"

    /// Writes a backup of the data directory `data` to `file` (written beside it, then renamed,
    /// so a half-written backup never has the final name). Returns its manifest.
    @discardableResult
    public static func create(data: URL, to file: URL) throws(GSSAError) -> Manifest {
        let fm = FileManager.default
        let configuration = ServerConfiguration(dataDirectory: data, serverID: "backup")
        guard !fm.fileExists(atPath: file.path) else { throw GSSAError.client("\(file.path) exists already") }
        let scratch = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).\(UUID().uuidString)")
        do { try fm.createDirectory(at: scratch, withIntermediateDirectories: false) } catch {
            throw GSSAError.server("cannot write beside \(file.path): \(error.localizedDescription)")
        }
        defer { try? fm.removeItem(at: scratch) }
        let database = scratch.appendingPathComponent(databaseName)
        try DatabaseBackup.copy(from: configuration.databasePath, to: database.path)
        guard let status = try SQLiteSimulationStore.schemaStatus(path: database.path) else {
            throw GSSAError.server("the database copy \(database.path) vanished")
        }
        let identity = try? String(contentsOf: data.appendingPathComponent("identity"), encoding: .utf8)
        let manifest = Manifest(
            // Whole seconds: what the manifest's ISO 8601 text keeps, so a read-back manifest compares equal.
            format: currentFormat, created: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)), serverID: identity?.trimmingCharacters(in: .whitespacesAndNewlines),
            schema: status.applied)
        let partial = scratch.appendingPathComponent("backup.tar.gz")
        let writer = try TarGzWriter(url: partial)
        try writer.add(manifestName, .file(try encode(manifest), mode: 0o600))
        try writer.addFile(databaseName, from: database, mode: 0o600)
        let entries: [String]
        do { entries = try fm.contentsOfDirectory(atPath: data.path).sorted() } catch {
            throw GSSAError.server("cannot read \(data.path): \(error.localizedDescription)")
        }
        for name in entries where !name.hasPrefix(databaseName) && name != manifestName {
            let url = data.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                try writer.addTree(at: url, as: name)
            } else {
                try writer.addFile(name, from: url, mode: 0o600)
            }
        }
        try writer.finish()
        do { try fm.moveItem(at: partial, to: file) } catch {
            throw GSSAError.server("cannot move the backup to \(file.path): \(error.localizedDescription)")
        }
        return manifest
    }

    /// Restores `file` into the data directory `data`, which must hold no database yet (a fresh
    /// install); the database is then opened once, so a backup from an older gssa is migrated
    /// forward and one from a newer gssa is refused. Returns the backup's manifest.
    @discardableResult
    public static func restore(from file: URL, into data: URL) throws(GSSAError) -> Manifest {
        let fm = FileManager.default
        let configuration = ServerConfiguration(dataDirectory: data, serverID: "restore")
        guard fm.fileExists(atPath: file.path) else { throw GSSAError.client("no backup at \(file.path)") }
        do { try fm.createDirectory(at: data, withIntermediateDirectories: true) } catch {
            throw GSSAError.server("cannot create \(data.path): \(error.localizedDescription)")
        }
        if fm.fileExists(atPath: configuration.databasePath) {
            throw GSSAError.client(
                "\(data.path) holds a server database already; restore only into a fresh data directory "
                    + "(stop the server and move \(configuration.databasePath) away first)")
        }
        let scratch = data.appendingPathComponent(".restore-\(UUID().uuidString)")
        do { try fm.createDirectory(at: scratch, withIntermediateDirectories: false) } catch {
            throw GSSAError.server("cannot write in \(data.path): \(error.localizedDescription)")
        }
        defer { try? fm.removeItem(at: scratch) }
        try TarExtractor.extractSafely(file, into: scratch)
        guard let manifestData = fm.contents(atPath: scratch.appendingPathComponent(manifestName).path) else {
            throw GSSAError.client("\(file.path) is not a gssa backup (no \(manifestName))")
        }
        let manifest: Manifest
        do { manifest = try decoder.decode(Manifest.self, from: manifestData) } catch {
            throw GSSAError.client("\(file.path): \(manifestName) is not a backup manifest: \(error)")
        }
        guard manifest.format == currentFormat else {
            throw GSSAError.client("\(file.path): backup format \(manifest.format) is not one this gssa reads (\(currentFormat))")
        }
        guard fm.fileExists(atPath: scratch.appendingPathComponent(databaseName).path) else {
            throw GSSAError.client("\(file.path) holds no \(databaseName)")
        }
        let restored: [String]
        do { restored = try fm.contentsOfDirectory(atPath: scratch.path) } catch {
            throw GSSAError.server("cannot read \(scratch.path): \(error.localizedDescription)")
        }
        for name in restored.sorted() where name != manifestName {
            let target = data.appendingPathComponent(name)
            if fm.fileExists(atPath: target.path) {
                // A fresh install may have an empty runs/ or transfer/ already; anything else is kept, not overwritten.
                let isEmptyDirectory = ((try? fm.contentsOfDirectory(atPath: target.path))?.isEmpty) ?? false
                guard isEmptyDirectory else { throw GSSAError.client("\(target.path) exists already; restore into a fresh data directory") }
                do { try fm.removeItem(at: target) } catch {
                    throw GSSAError.server("cannot replace \(target.path): \(error.localizedDescription)")
                }
            }
            do { try fm.moveItem(at: scratch.appendingPathComponent(name), to: target) } catch {
                throw GSSAError.server("cannot move \(name) into \(data.path): \(error.localizedDescription)")
            }
        }
        // Opening migrates an older schema forward and refuses a newer one.
        do { _ = try SQLiteSimulationStore(path: configuration.databasePath) } catch {
            throw GSSAError.wrapping(error)
        }
        return manifest
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    static func encode(_ manifest: Manifest) throws(GSSAError) -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { return try encoder.encode(manifest) } catch { throw GSSAError.server("cannot encode the backup manifest: \(error)") }
    }
}
