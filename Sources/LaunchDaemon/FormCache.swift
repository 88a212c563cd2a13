import ContainerEngine
import Foundation
import GSSACore
import LaunchProtocol

/// Compiled FEniCS forms (the dijitso/FFC JIT cache) carried from one run to the next of the
/// same user on the same image, without ever sharing them between users or mounting anything.
///
/// After a run, the daemon copies the image's cache directory out of the exited container with
/// the archive API and keeps the tar as an **opaque blob**: it is never extracted on the host
/// (the container is untrusted), only PUT back, by the engine, into a later container of the
/// same caller uid and the same image ID. A user can therefore only ever poison their own cache.
///
/// Layout: `<directory>/<uid>/<image-id hex>.tar`, every level created by the daemon with mode
/// 0700 and checked to be a real directory it owns (a pre-planted symlink disables the cache).
/// Bounds: a blob over `maxEntryBytes` is discarded while it streams (the run is unaffected);
/// after each store, least-recently-used blobs (by modification time, refreshed on each use)
/// are removed until the whole cache fits `maxBytes`.
///
/// Which directory: the image label ``label`` (an absolute path), else the image's
/// `DIJITSO_CACHE_DIR` environment variable; images with neither get no cache.
struct FormCache: Sendable {
    /// Image label naming the in-container cache directory.
    static let label = "org.gssa.form-cache"

    var directory: String
    var maxBytes: Int64
    var maxEntryBytes: Int64

    /// The absolute, plain in-container cache directory `image` declares, or nil.
    static func containerDirectory(of image: ImageInfo) -> String? {
        let declared =
            image.labels[Self.label]
            ?? image.environment.first { $0.hasPrefix("DIJITSO_CACHE_DIR=") }.map { String($0.dropFirst(18)) }
        guard let declared, Self.isPlainAbsolute(declared) else { return nil }
        return declared
    }

    /// `/a/b` with at least two components, no `.`/`..`/empty components, printable ASCII only.
    static func isPlainAbsolute(_ path: String) -> Bool {
        guard path.hasPrefix("/"), path.count <= 256 else { return false }
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part != "." && part != ".."
                && part.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value != 0x7F }
        }
    }

    /// Where the PUT of a blob goes: the parent of the cache directory (the blob's entries
    /// start with the directory's last component, as the engine's GET archive names them).
    static func parent(of containerDirectory: String) -> String {
        let parent = (containerDirectory as NSString).deletingLastPathComponent
        return parent.isEmpty ? "/" : parent
    }

    private func blobPath(uid: UInt32, imageID: String) -> String? {
        let hex = imageID.hasPrefix("sha256:") ? String(imageID.dropFirst(7)) : imageID
        guard !hex.isEmpty, hex.count <= 128, hex.allSatisfy({ $0.isHexDigit }) else { return nil }
        return "\(self.directory)/\(uid)/\(hex).tar"
    }

    /// The caller's blob for this image, refreshed as most recently used; nil when there is none.
    func load(uid: UInt32, imageID: String) throws -> Data? {
        guard let path = self.blobPath(uid: uid, imageID: imageID) else { return nil }
        try self.checkedDirectory(self.directory, create: false)
        try self.checkedDirectory("\(self.directory)/\(uid)", create: false)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        _ = utimes(path, nil)
        return data
    }

    /// Streams `containerDirectory` out of the (exited) container into the caller's blob,
    /// replacing the previous one atomically, then evicts down to the cache bound.
    /// Returns the blob's size, or nil when the container has no such directory or the blob
    /// was over `maxEntryBytes` (then nothing is kept).
    func store(
        uid: UInt32, imageID: String, containerID: String, containerDirectory: String, engine: any ContainerEngine
    ) async throws -> Int64? {
        guard let path = self.blobPath(uid: uid, imageID: imageID) else { return nil }
        try self.checkedDirectory(self.directory, create: true)
        try self.checkedDirectory("\(self.directory)/\(uid)", create: true)
        let temp = "\(path).\(UUID().uuidString).part"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw GSSAError.server("form cache: cannot create \(temp): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        let written = Counter()
        let bound = self.maxEntryBytes
        let overBound = GSSAError.model("form cache over \(ByteSize.describe(bound)) (form_cache_entry_bytes in dockerlaunch.yml)")
        let found: Bool
        do {
            found = try await engine.streamArchive(containerID, path: containerDirectory) { bytes in
                guard written.add(Int64(bytes.count)) <= bound else { throw overBound }
                try handle.write(contentsOf: bytes)
            }
            try handle.close()
        } catch {
            try? handle.close()
            unlink(temp)
            if let error = error as? GSSAError, error == overBound { return nil }
            throw error
        }
        guard found, written.value > 0 else {
            unlink(temp)
            return nil
        }
        guard rename(temp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw GSSAError.server("form cache: cannot rename into \(path): \(reason)")
        }
        try self.evict(keeping: path)
        return written.value
    }

    /// Removes least-recently-used blobs until the cache fits `maxBytes`; the blob just
    /// stored goes last (and goes too when it alone is over the bound).
    func evict(keeping newest: String? = nil) throws {
        var blobs: [(path: String, size: Int64, used: Date)] = []
        let manager = FileManager.default
        let users: [String]
        do {
            users = try manager.contentsOfDirectory(atPath: self.directory)
        } catch {
            throw GSSAError.server("form cache: cannot list \(self.directory) to evict: \(error.localizedDescription)")
        }
        for user in users {
            let userDirectory = "\(self.directory)/\(user)"
            var info = stat()
            // Only the daemon's per-uid directories hold blobs; anything else there is not ours to count.
            guard lstat(userDirectory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { continue }
            let names: [String]
            do {
                names = try manager.contentsOfDirectory(atPath: userDirectory)
            } catch {
                throw GSSAError.server("form cache: cannot list \(userDirectory) to evict: \(error.localizedDescription)")
            }
            for name in names {
                let path = "\(userDirectory)/\(name)"
                var info = stat()
                guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
                blobs.append((path, Int64(info.st_size), Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))))
            }
        }
        var total = blobs.reduce(0) { $0 + $1.size }
        blobs.sort { ($0.path == newest ? 1 : 0, $0.used) < ($1.path == newest ? 1 : 0, $1.used) }
        for blob in blobs where total > self.maxBytes {
            guard unlink(blob.path) == 0 || errno == ENOENT else {
                throw GSSAError.server("form cache: cannot evict \(blob.path): \(String(cString: strerror(errno)))")
            }
            total -= blob.size
        }
    }

    /// A directory of the cache: created 0700 when asked, and refused unless it is a real
    /// directory owned by the daemon and closed to everyone else.
    private func checkedDirectory(_ path: String, create: Bool) throws {
        if create, mkdir(path, 0o700) != 0, errno != EEXIST {
            throw GSSAError.server("form cache: cannot create \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT, !create { return }
            throw GSSAError.server("form cache: cannot inspect \(path): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == geteuid(), info.st_mode & 0o077 == 0 else {
            throw GSSAError.server(
                "form cache: \(path) is not a directory of uid \(geteuid()) with mode 0700 (form_cache_dir in dockerlaunch.yml); not using it")
        }
    }

    /// Bytes streamed so far (the consume closure is `@Sendable`).
    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var total: Int64 = 0
        var value: Int64 { self.lock.withLock { self.total } }
        func add(_ count: Int64) -> Int64 {
            self.lock.withLock {
                self.total += count
                return self.total
            }
        }
    }
}
