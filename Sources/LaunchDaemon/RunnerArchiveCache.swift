import ContainerEngine
import Foundation
import GSSAArchive
import GSSACore

/// The tar that puts the runner at `/gssa/bin/gssa-container`, built once and reused.
///
/// The runner is the same multi-megabyte static binary for every run; re-reading and
/// re-archiving it per START would cost the daemon CPU and I/O for nothing. The cache is keyed
/// on the file's size and modification time, so installing a new runner takes effect at the
/// next START without a restart.
///
/// It also knows the runner's SHA-256, so a START can skip the copy when the image already
/// carries the same runner (``RunnerDigest/label``, baked in by `gssa images build`).
actor RunnerArchiveCache {
    private struct Key: Hashable {
        var path: String
        var size: Int64
        var modified: Date
    }

    private var cached: (key: Key, tar: Data)?
    private var digest: (key: Key, hex: String?)?

    /// Hex SHA-256 of the runner file, or nil when it cannot be computed (then every run
    /// gets the runner copied in, as before).
    func sha256(for path: String) async -> String? {
        guard let key = try? Self.key(path) else { return nil }
        if let digest, digest.key == key { return digest.hex }
        let hex = await RunnerDigest.sha256(ofFile: path)
        self.digest = (key, hex)
        return hex
    }

    private static func key(_ path: String) throws -> Key {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return Key(
            path: path, size: (attributes[.size] as? NSNumber)?.int64Value ?? -1,
            modified: attributes[.modificationDate] as? Date ?? .distantPast)
    }

    func tar(for path: String) throws -> Data {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw GSSAError.server("runner binary \(path) (config 'runner') is not readable")
        }
        let key = Key(
            path: path, size: (attributes[.size] as? NSNumber)?.int64Value ?? -1,
            modified: attributes[.modificationDate] as? Date ?? .distantPast)
        if let cached, cached.key == key { return cached.tar }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw GSSAError.server("runner binary \(path) (config 'runner') is not readable")
        }
        let tar = try TarBuilder.build([
            TarEntry(path: "gssa", content: .directory, mode: 0o755),
            TarEntry(path: "gssa/bin", content: .directory, mode: 0o755),
            TarEntry(path: "gssa/bin/gssa-container", content: .file(URL(fileURLWithPath: path)), mode: 0o755),
        ])
        self.cached = (key, tar)
        return tar
    }
}
