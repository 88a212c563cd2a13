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

/// Writes uncompressed (pax) tars with ownership, as the Docker archive API expects them.
///
/// The daemon stages inputs and the runner binary into containers with these; the owner of
/// every member is set explicitly so the job's user can write its own files.
public enum TarBuilder {
    /// Builds the tar in memory.
    public static func build(_ entries: [TarEntry]) throws(GSSAError) -> Data {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-tar-\(UUID().uuidString).tar")
        defer { try? FileManager.default.removeItem(at: temp) }
        try write(entries, to: temp)
        do { return try Data(contentsOf: temp) } catch {
            throw GSSAError.server("cannot read tar \(temp.path): \(error)")
        }
    }

    /// Writes the tar to `url`, replacing any existing file.
    public static func write(_ entries: [TarEntry], to url: URL) throws(GSSAError) {
        guard let archive = archive_write_new() else { throw GSSAError.server("libarchive: out of memory") }
        defer { archive_write_free(archive) }
        archive_write_set_format_pax_restricted(archive)
        guard archive_write_open_filename(archive, url.path) == ARCHIVE_OK else {
            throw GSSAError.server("cannot write tar \(url.path): \(TarGzWriter.message(archive))")
        }
        guard let entry = archive_entry_new() else { throw GSSAError.server("libarchive: out of memory") }
        defer { archive_entry_free(entry) }
        let now = time(nil)
        for item in entries {
            archive_entry_clear(entry)
            archive_entry_set_pathname(entry, item.path)
            archive_entry_set_uid(entry, la_int64_t(item.uid))
            archive_entry_set_gid(entry, la_int64_t(item.gid))
            archive_entry_set_mtime(entry, now, 0)
            var payload: Data?
            var source: URL?
            switch item.content {
            case .directory:
                archive_entry_set_filetype(entry, gssa_ae_ifdir)
                archive_entry_set_perm(entry, mode_t(item.mode & 0o7777))
            case .data(let data):
                archive_entry_set_filetype(entry, gssa_ae_ifreg)
                archive_entry_set_perm(entry, mode_t(item.mode & 0o7777))
                archive_entry_set_size(entry, la_int64_t(data.count))
                payload = data
            case .file(let url):
                var info = stat()
                guard stat(url.path, &info) == 0 else {
                    throw GSSAError.server("cannot read \(url.path): \(String(cString: strerror(errno)))")
                }
                archive_entry_set_filetype(entry, gssa_ae_ifreg)
                archive_entry_set_perm(entry, mode_t(item.mode & 0o7777))
                archive_entry_set_size(entry, la_int64_t(info.st_size))
                source = url
            case .symlink(let target):
                archive_entry_set_filetype(entry, gssa_ae_iflnk)
                archive_entry_set_perm(entry, 0o777)
                archive_entry_set_symlink(entry, target)
            }
            guard archive_write_header(archive, entry) >= ARCHIVE_WARN else {
                throw GSSAError.server("cannot add \(item.path) to tar: \(TarGzWriter.message(archive))")
            }
            if let payload {
                let ok = payload.withUnsafeBytes { writeData(archive, $0.baseAddress, $0.count) }
                guard ok else { throw GSSAError.server("cannot add \(item.path) to tar: \(TarGzWriter.message(archive))") }
            } else if let source {
                guard let file = fopen(source.path, "rb") else {
                    throw GSSAError.server("cannot read \(source.path): \(String(cString: strerror(errno)))")
                }
                defer { fclose(file) }
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                while true {
                    let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
                    if count == 0 { break }
                    guard buffer.withUnsafeBytes({ writeData(archive, $0.baseAddress, count) }) else {
                        throw GSSAError.server("cannot add \(item.path) to tar: \(TarGzWriter.message(archive))")
                    }
                }
            }
        }
        guard archive_write_close(archive) == ARCHIVE_OK else {
            throw GSSAError.server("cannot finish tar \(url.path): \(TarGzWriter.message(archive))")
        }
    }

    /// Whether all `count` bytes went into the archive.
    private static func writeData(_ archive: OpaquePointer, _ bytes: UnsafeRawPointer?, _ count: Int) -> Bool {
        count == 0 || archive_write_data(archive, bytes, count) == count
    }

    /// The entries of a host directory for upload, prefixed with `prefix`.
    ///
    /// Symlinks are stored as symlinks (never followed, so a link to a host file the daemon
    /// can read but the user cannot does not leak its content); sockets, FIFOs and devices
    /// are skipped.
    public static func entries(
        ofDirectory directory: URL, prefix: String, uid: Int, gid: Int
    ) throws(GSSAError) -> [TarEntry] {
        var result = [TarEntry(path: prefix, content: .directory, mode: 0o755, uid: uid, gid: gid)]
        try walk(directory, relative: prefix, uid: uid, gid: gid, into: &result)
        return result
    }

    private static func walk(_ directory: URL, relative: String, uid: Int, gid: Int, into result: inout [TarEntry])
        throws(GSSAError)
    {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() } catch {
            throw GSSAError.server("cannot read directory \(directory.path): \(error)")
        }
        for name in names {
            let path = directory.appendingPathComponent(name).path
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let relativePath = relative + "/" + name
            let mode = UInt32(info.st_mode)
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                result.append(TarEntry(path: relativePath, content: .directory, mode: mode | 0o700, uid: uid, gid: gid))
                try walk(URL(fileURLWithPath: path), relative: relativePath, uid: uid, gid: gid, into: &result)
            case S_IFREG:
                result.append(
                    TarEntry(
                        path: relativePath, content: .file(URL(fileURLWithPath: path)), mode: (mode & 0o755) | 0o600,
                        uid: uid, gid: gid))
            case S_IFLNK:
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? ""
                result.append(TarEntry(path: relativePath, content: .symlink(target: target), mode: 0o777, uid: uid, gid: gid))
            default:
                continue
            }
        }
    }
}
