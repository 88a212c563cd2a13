import CArchive
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GSSACore

/// Reads file contents out of a tar without touching the disk.
public enum TarReader {
    /// Reads one regular file out of a tar (e.g. `/etc/passwd` fetched from an image).
    ///
    /// Matches `name`, `./name` or any member ending in `/name`; reads at most about
    /// `maxBytes` so a huge member cannot exhaust memory. Nil when no member matches.
    public static func readFile(named name: String, in tar: URL, maxBytes: Int = 1 << 20) throws(GSSAError) -> Data? {
        guard let archive = archive_read_new() else { throw GSSAError.server("libarchive: out of memory") }
        defer { archive_read_free(archive) }
        archive_read_support_format_tar(archive)
        archive_read_support_filter_all(archive)
        guard archive_read_open_filename(archive, tar.path, 64 * 1024) == ARCHIVE_OK else {
            throw GSSAError.server("cannot read tar \(tar.path): \(TarGzWriter.message(archive))")
        }
        var entry: OpaquePointer?
        while archive_read_next_header(archive, &entry) == ARCHIVE_OK {
            let path = String(cString: archive_entry_pathname(entry))
            guard path == name || path.hasSuffix("/" + name) || path == "./" + name else { continue }
            return readData(archive, limit: maxBytes)
        }
        return nil
    }

    /// Every regular file of a tar with its bytes (small archives only: used by the in-memory engine).
    public static func readAll(_ tar: Data) throws(GSSAError) -> [(path: String, data: Data, mode: UInt32)] {
        guard let archive = archive_read_new() else { throw GSSAError.server("libarchive: out of memory") }
        defer { archive_read_free(archive) }
        archive_read_support_format_tar(archive)
        // libarchive reads the bytes lazily, so they must stay pinned for the whole walk.
        let result: [(path: String, data: Data, mode: UInt32)]? = tar.withUnsafeBytes { raw in
            guard archive_read_open_memory(archive, raw.baseAddress, raw.count) == ARCHIVE_OK else { return nil }
            var result: [(path: String, data: Data, mode: UInt32)] = []
            var entry: OpaquePointer?
            while archive_read_next_header(archive, &entry) == ARCHIVE_OK {
                guard UInt32(archive_entry_filetype(entry)) == gssa_ae_ifreg else { continue }
                let path = String(cString: archive_entry_pathname(entry))
                result.append((path, readData(archive, limit: .max), UInt32(archive_entry_perm(entry))))
            }
            return result
        }
        guard let result else { throw GSSAError.server("cannot read tar: \(TarGzWriter.message(archive))") }
        return result
    }

    private static func readData(_ archive: OpaquePointer, limit: Int) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = archive_read_data(archive, &buffer, buffer.count)
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
            if data.count > limit { break }
        }
        return data
    }
}
