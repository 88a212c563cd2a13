import CArchive
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import GSSACore

/// Writes gzip-compressed tar archives through libarchive.
///
/// Start tarballs, result bundles and diagnostic bundles are all tar.gz; one writer keeps their
/// format (POSIX pax, no owner names) identical everywhere.
public final class TarGzWriter {
    public enum Content: Sendable {
        case file(Data, mode: Int32 = 0o644)
        case directory(mode: Int32 = 0o755)
        case symlink(target: String)
    }

    private let archive: OpaquePointer
    private let path: String
    private var finished = false

    /// Opens `url` for writing, replacing any existing file.
    public init(url: URL) throws(GSSAError) {
        guard let archive = archive_write_new() else { throw GSSAError.server("libarchive: cannot allocate writer") }
        guard archive_write_add_filter_gzip(archive) == ARCHIVE_OK,
            archive_write_set_format_pax_restricted(archive) == ARCHIVE_OK,
            archive_write_open_filename(archive, url.path) == ARCHIVE_OK
        else {
            let message = Self.message(archive)
            archive_write_free(archive)
            throw GSSAError.server("cannot create archive \(url.path): \(message)")
        }
        self.archive = archive
        self.path = url.path
    }

    deinit {
        if !finished { archive_write_close(archive) }
        archive_write_free(archive)
    }

    /// Adds one member; `name` must be a safe relative path.
    public func add(_ name: String, _ content: Content, modified: Date = Date()) throws(GSSAError) {
        guard SafePath.isSafeRelative(name) else {
            throw GSSAError.client("refusing to archive unsafe member name '\(name)'")
        }
        guard let entry = archive_entry_new() else { throw GSSAError.server("libarchive: cannot allocate entry") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, name)
        archive_entry_set_mtime(entry, time_t(modified.timeIntervalSince1970), 0)
        var payload: Data?
        switch content {
        case .file(let data, let mode):
            archive_entry_set_filetype(entry, gssa_ae_ifreg)
            archive_entry_set_perm(entry, mode_t(mode))
            archive_entry_set_size(entry, la_int64_t(data.count))
            payload = data
        case .directory(let mode):
            archive_entry_set_filetype(entry, gssa_ae_ifdir)
            archive_entry_set_perm(entry, mode_t(mode))
        case .symlink(let target):
            archive_entry_set_filetype(entry, gssa_ae_iflnk)
            archive_entry_set_perm(entry, 0o777)
            archive_entry_set_symlink(entry, target)
        }
        guard archive_write_header(archive, entry) == ARCHIVE_OK else {
            throw GSSAError.server("cannot write archive member \(name): \(Self.message(archive))")
        }
        if let payload, !payload.isEmpty {
            let written = payload.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
            guard written == payload.count else {
                throw GSSAError.server("cannot write archive member \(name): \(Self.message(archive))")
            }
        }
    }

    /// Adds a directory tree from disk under `prefix` (symlinks kept as links, sockets skipped).
    public func addTree(at directory: URL, as prefix: String) throws(GSSAError) {
        let fm = FileManager.default
        let base = directory.standardizedFileURL
        let subpaths: [String]
        do {
            subpaths = try fm.subpathsOfDirectory(atPath: base.path)
        } catch {
            throw GSSAError.server("cannot read directory \(directory.path): \(error)")
        }
        if !prefix.isEmpty { try add(prefix, .directory()) }
        let items = subpaths.map { base.appendingPathComponent($0) }
        for url in items.sorted(by: { $0.path < $1.path }) {
            let relative = String(url.standardizedFileURL.path.dropFirst(base.path.count + 1))
            let name = prefix.isEmpty ? relative : prefix + "/" + relative
            var info = stat()
            guard lstat(url.path, &info) == 0 else { continue }
            let mode = Int32(info.st_mode & 0o7777)
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                try add(name, .directory(mode: mode))
            case S_IFREG:
                try addFile(name, from: url, mode: mode)
            case S_IFLNK:
                let target = (try? fm.destinationOfSymbolicLink(atPath: url.path)) ?? ""
                try add(name, .symlink(target: target))
            default:
                continue  // sockets, fifos and devices never belong in a bundle
            }
        }
    }

    /// Adds a regular file from disk, copied in 1 MiB chunks (a large output is never held in
    /// memory). A file that shrinks meanwhile is padded with zeros; one that grows is cut at
    /// the size it had when it was opened.
    public func addFile(_ name: String, from url: URL, mode: Int32) throws(GSSAError) {
        guard SafePath.isSafeRelative(name) else {
            throw GSSAError.client("refusing to archive unsafe member name '\(name)'")
        }
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw GSSAError.server("cannot read \(url.path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw GSSAError.server("cannot read \(url.path): \(String(cString: strerror(errno)))")
        }
        guard let entry = archive_entry_new() else { throw GSSAError.server("libarchive: cannot allocate entry") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, name)
        archive_entry_set_mtime(entry, time_t(Date().timeIntervalSince1970), 0)
        archive_entry_set_filetype(entry, gssa_ae_ifreg)
        archive_entry_set_perm(entry, mode_t(mode))
        archive_entry_set_size(entry, la_int64_t(info.st_size))
        guard archive_write_header(archive, entry) == ARCHIVE_OK else {
            throw GSSAError.server("cannot write archive member \(name): \(Self.message(archive))")
        }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var remaining = Int64(info.st_size)
        while remaining > 0 {
            let count = read(descriptor, buffer, Int(min(Int64(chunk), remaining)))
            if count < 0 {
                if errno == EINTR { continue }
                throw GSSAError.server("cannot read \(url.path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }  // shrank: libarchive pads the member with zeros
            guard archive_write_data(archive, buffer, count) == count else {
                throw GSSAError.server("cannot write archive member \(name): \(Self.message(archive))")
            }
            remaining -= Int64(count)
        }
    }

    /// Flushes and closes the archive. Not calling it leaves a truncated file.
    public func finish() throws(GSSAError) {
        guard !finished else { return }
        finished = true
        guard archive_write_close(archive) == ARCHIVE_OK else {
            throw GSSAError.server("cannot finish archive \(path): \(Self.message(archive))")
        }
    }

    static func message(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error"
    }
}
