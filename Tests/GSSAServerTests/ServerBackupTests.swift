import Foundation
import GRDB
import GSSA
import GSSATestSupport
@testable import GSSAServer
import Testing

/// `gssa admin backup` / `restore`: a backup taken while the store is being written comes back on
/// a fresh data directory with the same records, events, users and run files.
@Suite("Server backup and restore (real SQLite, libarchive)")
struct ServerBackupTests {
    @Test("round trip while a run keeps writing: records, events, users, tokens and bundles come back equal")
    func roundTrip() async throws {
        let data = scratchDirectory("backup-data")
        let store = try SQLiteSimulationStore(path: ServerConfiguration(dataDirectory: data).databasePath)
        try await store.addUser(UserRecord(name: "alice", tokenDigest: APIToken.digest("token-a"), admin: true))
        try await store.addUser(UserRecord(name: "bob", tokenDigest: APIToken.digest("token-b"), admin: false))
        let runs = data.appendingPathComponent("runs")
        var guids: [String] = []
        for index in 0..<3 {
            let guid = UUID().uuidString
            guids.append(guid)
            let directory = runs.appendingPathComponent(guid)
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("output"), withIntermediateDirectories: true)
            try Data("result \(index)\n".utf8).write(to: directory.appendingPathComponent("output/result.txt"))
            try Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }).write(to: directory.appendingPathComponent("results.tar.gz"))
            try await store.insert(SimulationRecord(guid: guid, name: "RUN-\(index)", owner: index == 0 ? "bob" : "alice", directory: directory.path))
            _ = try await store.update(guid: guid) { $0.state = index == 2 ? .running : .succeeded; $0.percentage = 100 }
            try await store.appendEvent(StoredEvent(guid: guid, kind: "status", percentage: 50, message: "half"))
        }

        // A run keeps writing events while the backup is taken; the copy is one moment of it.
        let backup = scratchDirectory("backup-file").appendingPathComponent("gssa-backup.tar.gz")
        let busy = guids[2]
        let manifest = try await withThrowingTaskGroup(of: ServerBackup.Manifest?.self) { group in
            group.addTask {
                for tick in 0..<300 {
                    try await store.appendEvent(StoredEvent(guid: busy, kind: "status", percentage: Double(tick % 100), message: "tick \(tick)"))
                }
                return nil
            }
            group.addTask { try await offPool { try ServerBackup.create(data: data, to: backup) } }
            var manifest: ServerBackup.Manifest?
            for try await result in group { manifest = manifest ?? result }
            return try #require(manifest)
        }
        #expect(manifest.schema == SQLiteSimulationStore.knownMigrations)

        let fresh = scratchDirectory("backup-restore").appendingPathComponent("server")
        let restoredManifest = try await offPool { try ServerBackup.restore(from: backup, into: fresh) }
        #expect(restoredManifest == manifest)
        let restored = try SQLiteSimulationStore(path: ServerConfiguration(dataDirectory: fresh).databasePath)

        #expect(try await restored.users().map(\.name).sorted() == ["alice", "bob"])
        #expect(try await restored.user(tokenDigest: APIToken.digest("token-b"))?.name == "bob")
        for (index, guid) in guids.enumerated() {
            let original = try #require(try await store.record(guid: guid))
            let copy = try #require(try await restored.record(guid: guid))
            #expect(copy == original)
            let copiedEvents = try await restored.events(guid: guid)
            let originalEvents = try await store.events(guid: guid)
            // The copy is a prefix of what the store holds now (the writer went on after it).
            #expect(!copiedEvents.isEmpty && Array(originalEvents.prefix(copiedEvents.count)) == copiedEvents)
            let directory = fresh.appendingPathComponent("runs").appendingPathComponent(guid)
            #expect(try String(contentsOf: directory.appendingPathComponent("output/result.txt"), encoding: .utf8) == "result \(index)\n")
            #expect(
                try Data(contentsOf: directory.appendingPathComponent("results.tar.gz"))
                    == Data(contentsOf: runs.appendingPathComponent(guid).appendingPathComponent("results.tar.gz")))
        }
        #expect(try String(contentsOf: fresh.appendingPathComponent("identity"), encoding: .utf8)
            == String(contentsOf: data.appendingPathComponent("identity"), encoding: .utf8))

        // A second restore over it is refused: restore is for fresh installs only.
        let again = try #require(throws: GSSAError.self) { try ServerBackup.restore(from: backup, into: fresh) }
        #expect(again.message.contains("fresh"))
        // And an existing backup file is never overwritten.
        #expect(throws: GSSAError.self) { try ServerBackup.create(data: data, to: backup) }
    }

    @Test("a file that is not a gssa backup is refused with the reason")
    func notABackup() throws {
        let directory = scratchDirectory("backup-bogus")
        let bogus = directory.appendingPathComponent("bogus.tar.gz")
        try Data("not a tar".utf8).write(to: bogus)
        let error = try #require(throws: GSSAError.self) { try ServerBackup.restore(from: bogus, into: directory.appendingPathComponent("data")) }
        #expect(!error.message.isEmpty)
    }
}
