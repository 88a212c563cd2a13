import Foundation
import GSSA
import GSSAArchive

/// `gssa admin archive|restore`: a departed user's records, events, run directories and
/// bundles in one tar.gz, and back.
///
/// The archive holds `gssa-archive/manifest.json` (the user's row, every run's row, every
/// event) and `gssa-archive/runs/KEY/` (each run's working directory, bundles included). It is
/// written and read back completely before anything is removed, so nothing is lost when the
/// disk fills or the process dies half-way: the data stays until the archive is known good.
/// Removing the user's row revokes their tokens; a restore brings the row (and so the tokens)
/// back, with every run under its old key, name and directory name.
public enum RunArchive {
    /// The archive's table of contents.
    public struct Manifest: Codable, Sendable {
        /// 1 for this layout.
        public var format: Int
        public var user: UserRecord
        public var runs: [SimulationRecord]
        public var events: [StoredEvent]
    }

    static let root = "gssa-archive"

    /// Archives `user`'s runs to `destination` (refusing while any of them is active or waiting),
    /// then removes them and the user. Returns the archived runs' GUIDs.
    public static func archive(user name: String, to destination: URL, store: SQLiteSimulationStore, data: URL) async throws -> [String] {
        guard let user = try await store.users().first(where: { $0.name == name }) else {
            throw GSSAError.client("no user named '\(name.prefix(64))'", attribute: "USER")
        }
        guard !FileManager.default.fileExists(atPath: destination.path) else {
            throw GSSAError.client("\(destination.path) exists already: archive to a new file", attribute: "--to")
        }
        let runs = try await store.search(prefix: "", owner: name, limit: nil).sorted { $0.guid < $1.guid }
        if let busy = runs.first(where: { !$0.state.isTerminal && $0.state != .created && $0.state != .finalized }) {
            throw GSSAError.client("\(name)'s run \(busy.name) is \(busy.state.rawValue): cancel it (or let it end) before archiving")
        }
        var events: [StoredEvent] = []
        for run in runs { events += try await store.events(guid: run.guid) }
        let manifest = Manifest(format: 1, user: user, runs: runs, events: events)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let partial = destination.deletingLastPathComponent().appendingPathComponent(".\(destination.lastPathComponent).partial")
        do {
            let writer = try TarGzWriter(url: partial)
            try writer.add(root, .directory())
            try writer.add("\(root)/manifest.json", .file(try encoder.encode(manifest)))
            try writer.add("\(root)/runs", .directory())
            for run in runs where FileManager.default.fileExists(atPath: run.directory) {
                try writer.addTree(at: URL(fileURLWithPath: run.directory), as: "\(root)/runs/\(run.guid)")
            }
            try writer.finish()
            // Read back before anything is removed.
            _ = try TarGzReader.members(of: partial)
            try FileManager.default.moveItem(at: partial, to: destination)
        } catch {
            try? FileManager.default.removeItem(at: partial)
            throw GSSAError.wrapping(error, as: .server)
        }
        for run in runs {
            if FileManager.default.fileExists(atPath: run.directory) {
                do {
                    try FileManager.default.removeItem(atPath: run.directory)
                } catch {
                    throw GSSAError.server("archived, but cannot remove \(run.directory): \(error.localizedDescription) (the archive is complete)")
                }
            }
            try await store.removeRun(guid: run.guid)
        }
        _ = try await store.removeUser(name: name)
        return runs.map(\.name).sorted()
    }

    /// Restores an archive made by ``archive(user:to:store:data:)``: the user (refused if one of
    /// that name exists), their runs (refused if a key or GUID is taken) and events. Returns the
    /// restored runs' GUIDs.
    public static func restore(from source: URL, store: SQLiteSimulationStore, data: URL, limits: ArchiveLimits) async throws -> [String] {
        let runsDirectory = ServerConfiguration(dataDirectory: data, serverID: "restore").runsDirectory
        let scratch = data.appendingPathComponent(".restore-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let manifest: Manifest
        do {
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            _ = try TarGzReader.extract(source, into: scratch, limits: limits)
            let decoder = JSONDecoder()
            manifest = try decoder.decode(Manifest.self, from: Data(contentsOf: scratch.appendingPathComponent("\(root)/manifest.json")))
        } catch let error as GSSAError {
            throw error
        } catch {
            throw GSSAError.client("\(source.lastPathComponent) is not a gssa archive: \(error.localizedDescription)")
        }
        guard manifest.format == 1 else { throw GSSAError.client("archive format \(manifest.format) is not known (this gssa reads 1)") }
        guard try await store.users().first(where: { $0.name == manifest.user.name }) == nil else {
            throw GSSAError.client("a user named \(manifest.user.name) exists already: remove it first, or restore elsewhere")
        }
        for run in manifest.runs {
            guard SafePath.isSafeRelative(run.guid), !run.guid.contains("/") else {
                throw GSSAError.client("archive: run key '\(run.guid.prefix(64))' is not a plain name")
            }
            let byKey = try await store.record(guid: run.guid)
            let byName = try await store.record(owner: run.owner, name: run.name)
            if byKey != nil || byName != nil {
                throw GSSAError.client("archive: a run \(run.name) (key \(run.guid)) exists already")
            }
            guard run.owner == manifest.user.name else { throw GSSAError.client("archive: run \(run.name) belongs to \(run.owner)") }
        }
        try FileManager.default.createDirectory(at: runsDirectory, withIntermediateDirectories: true)
        for var run in manifest.runs {
            let extracted = scratch.appendingPathComponent("\(root)/runs/\(run.guid)")
            let target = runsDirectory.appendingPathComponent(run.guid)
            if FileManager.default.fileExists(atPath: extracted.path) {
                do {
                    try FileManager.default.moveItem(at: extracted, to: target)
                } catch {
                    throw GSSAError.server("cannot restore \(run.name)'s directory to \(target.path): \(error.localizedDescription)")
                }
            }
            run.directory = target.path
            try await store.insert(run)
        }
        for var event in manifest.events where manifest.runs.contains(where: { $0.guid == event.guid }) {
            event.id = nil
            try await store.appendEvent(event)
        }
        try await store.addUser(manifest.user)
        return manifest.runs.map(\.name).sorted()
    }
}
