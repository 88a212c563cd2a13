import CArchive
import Foundation
import GSSACore

/// One member of a tar archive that the daemon builds.
public struct TarEntry: Sendable, Hashable {
    public enum Content: Sendable, Hashable {
        case directory
        /// Regular file whose bytes are given.
        case data(Data)
        /// Regular file whose bytes are read from a host file when the archive is written.
        case file(URL)
        case symlink(target: String)
    }

    /// Relative path inside the archive, `/`-separated, no leading `/`.
    public var path: String
    public var content: Content
    public var mode: UInt32
    public var uid: Int
    public var gid: Int

    public init(path: String, content: Content, mode: UInt32, uid: Int = 0, gid: Int = 0) {
        self.path = path
        self.content = content
        self.mode = mode
        self.uid = uid
        self.gid = gid
    }
}

/// Writes and safely reads tar archives with libarchive.
public enum TarArchive {
    private static let typeMask: UInt32 = 0o170000
    private static let typeRegular: UInt32 = 0o100000
    private static let typeDirectory: UInt32 = 0o040000
    private static let typeSymlink: UInt32 = 0o120000

    /// Builds an uncompressed (pax) tar in memory.
    public static func build(_ entries: [TarEntry]) throws -> Data {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-tar-\(UUID().uuidString).tar")
        defer { try? FileManager.default.removeItem(at: temp) }
        try self.write(entries, to: temp)
        return try Data(contentsOf: temp)
    }

    /// Writes an uncompressed (pax) tar to `url`.
    public static func write(_ entries: [TarEntry], to url: URL) throws {
        guard let archive = archive_write_new() else { throw GSSAError.server("libarchive: out of memory") }
        defer { archive_write_free(archive) }
        archive_write_set_format_pax_restricted(archive)
        guard archive_write_open_filename(archive, url.path) == ARCHIVE_OK else {
            throw GSSAError.server("cannot write tar \(url.path): \(self.message(archive))")
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
                archive_entry_set_filetype(entry, typeDirectory)
                archive_entry_set_perm(entry, mode_t(item.mode & 0o7777))
            case .data(let data):
                archive_entry_set_filetype(entry, typeRegular)
                archive_entry_set_perm(entry, mode_t(item.mode & 0o7777))
                archive_entry_set_size(entry, la_int64_t(data.count))
                payload = data
            case .file(let url):
                let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
                let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
                archive_entry_set_filetype(entry, typeRegular)
                archive_entry_set_perm(entry, mode_t(item.mode & 0o7777))
                archive_entry_set_size(entry, la_int64_t(size))
                source = url
            case .symlink(let target):
                archive_entry_set_filetype(entry, typeSymlink)
                archive_entry_set_perm(entry, 0o777)
                archive_entry_set_symlink(entry, target)
            }
            guard archive_write_header(archive, entry) >= ARCHIVE_WARN else {
                throw GSSAError.server("cannot add \(item.path) to tar: \(self.message(archive))")
            }
            if let payload {
                try self.writeData(archive, payload, item.path)
            } else if let source {
                let handle = try FileHandle(forReadingFrom: source)
                defer { try? handle.close() }
                while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                    try self.writeData(archive, chunk, item.path)
                }
            }
        }
        guard archive_write_close(archive) == ARCHIVE_OK else {
            throw GSSAError.server("cannot finish tar \(url.path): \(self.message(archive))")
        }
    }

    private static func writeData(_ archive: OpaquePointer, _ data: Data, _ path: String) throws {
        let written = data.withUnsafeBytes { raw in
            archive_write_data(archive, raw.baseAddress, raw.count)
        }
        guard written == data.count else {
            throw GSSAError.server("cannot add \(path) to tar: \(self.message(archive))")
        }
    }

    /// The entries of a host directory for upload, prefixed with `prefix`.
    ///
    /// Symlinks are stored as symlinks (never followed, so a link to a host file the daemon
    /// can read but the user cannot does not leak its content); sockets, FIFOs and devices
    /// are skipped.
    public static func entries(
        ofDirectory directory: URL, prefix: String, uid: Int, gid: Int
    ) throws -> [TarEntry] {
        var result = [TarEntry(path: prefix, content: .directory, mode: 0o755, uid: uid, gid: gid)]
        try self.walk(directory, relative: prefix, uid: uid, gid: gid, into: &result)
        return result
    }

    private static func walk(_ directory: URL, relative: String, uid: Int, gid: Int, into result: inout [TarEntry])
        throws
    {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        for name in names {
            let path = directory.appendingPathComponent(name).path
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let relativePath = relative + "/" + name
            let mode = UInt32(info.st_mode)
            switch mode & typeMask {
            case typeDirectory:
                result.append(TarEntry(path: relativePath, content: .directory, mode: mode | 0o700, uid: uid, gid: gid))
                try self.walk(URL(fileURLWithPath: path), relative: relativePath, uid: uid, gid: gid, into: &result)
            case typeRegular:
                result.append(
                    TarEntry(path: relativePath, content: .file(URL(fileURLWithPath: path)), mode: (mode & 0o755) | 0o600,
                        uid: uid, gid: gid))
            case typeSymlink:
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? ""
                result.append(TarEntry(path: relativePath, content: .symlink(target: target), mode: 0o777, uid: uid, gid: gid))
            default:
                continue
            }
        }
    }

    /// Reads one regular file out of a tar (e.g. `/etc/passwd` fetched from an image).
    public static func readFile(named name: String, in tar: URL, maxBytes: Int = 1 << 20) throws -> Data? {
        guard let archive = archive_read_new() else { throw GSSAError.server("libarchive: out of memory") }
        defer { archive_read_free(archive) }
        archive_read_support_format_tar(archive)
        archive_read_support_filter_all(archive)
        guard archive_read_open_filename(archive, tar.path, 64 * 1024) == ARCHIVE_OK else {
            throw GSSAError.server("cannot read tar \(tar.path): \(self.message(archive))")
        }
        var entry: OpaquePointer?
        while archive_read_next_header(archive, &entry) == ARCHIVE_OK {
            let path = String(cString: archive_entry_pathname(entry))
            guard path == name || path.hasSuffix("/" + name) || path == "./" + name else { continue }
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let n = archive_read_data(archive, &buffer, buffer.count)
                if n <= 0 { break }
                data.append(contentsOf: buffer[0..<n])
                if data.count > maxBytes { break }
            }
            return data
        }
        return nil
    }

    /// Extracts `tar` into the existing directory `destination`, dropping the first
    /// `stripComponents` path components of every member.
    ///
    /// The whole archive is checked before anything is written and refused if any member
    /// has an absolute path, a `..` component, a symlink or hard link pointing outside the
    /// destination, or is a device, FIFO or socket. Extraction then runs with libarchive's
    /// secure flags, so it also never writes through a symlink, including symlinks that
    /// already exist in `destination`. Permissions keep only the `0o777` bits (no setuid).
    ///
    /// - Returns: The relative paths extracted.
    @discardableResult
    public static func extractSafely(_ tar: URL, into destination: URL, stripComponents: Int = 0) throws -> [String] {
        let root = destination.resolvingSymlinksInPath().standardizedFileURL
        let members = try self.members(of: tar, stripComponents: stripComponents)
        for member in members {
            try self.check(member, tar: tar)
        }

        guard let archive = archive_read_new(), let disk = archive_write_disk_new() else {
            throw GSSAError.server("libarchive: out of memory")
        }
        defer {
            archive_read_free(archive)
            archive_write_free(disk)
        }
        archive_read_support_format_tar(archive)
        archive_read_support_filter_all(archive)
        // Members are rewritten to absolute paths under `root` (so no chdir is needed); the
        // absolute-path check on member names is done above, in `check`.
        let flags = ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_TIME
        archive_write_disk_set_options(disk, flags)
        guard archive_read_open_filename(archive, tar.path, 64 * 1024) == ARCHIVE_OK else {
            throw GSSAError.server("cannot read tar \(tar.path): \(self.message(archive))")
        }
        var extracted: [String] = []
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status >= ARCHIVE_WARN else {
                throw GSSAError.server("corrupt tar \(tar.path): \(self.message(archive))")
            }
            let original = String(cString: archive_entry_pathname(entry))
            guard let relative = self.strip(original, stripComponents) else { continue }
            archive_entry_set_pathname(entry, root.appendingPathComponent(relative).path)
            if let link = archive_entry_hardlink(entry) {
                let target = String(cString: link)
                if let strippedLink = self.strip(target, stripComponents) {
                    archive_entry_set_hardlink(entry, root.appendingPathComponent(strippedLink).path)
                }
            }
            archive_entry_set_perm(entry, archive_entry_perm(entry) & 0o777)
            guard archive_write_header(disk, entry) >= ARCHIVE_WARN else {
                throw GSSAError.server("refusing to extract '\(original)': \(self.message(disk))")
            }
            if archive_entry_size(entry) > 0 {
                var block: UnsafeRawPointer?
                var size = 0
                var offset: la_int64_t = 0
                while true {
                    let r = archive_read_data_block(archive, &block, &size, &offset)
                    if r == ARCHIVE_EOF { break }
                    guard r >= ARCHIVE_WARN else {
                        throw GSSAError.server("corrupt tar member '\(original)': \(self.message(archive))")
                    }
                    guard archive_write_data_block(disk, block, size, offset) >= ARCHIVE_WARN else {
                        throw GSSAError.server("cannot write '\(relative)': \(self.message(disk))")
                    }
                }
            }
            guard archive_write_finish_entry(disk) >= ARCHIVE_WARN else {
                throw GSSAError.server("cannot write '\(relative)': \(self.message(disk))")
            }
            extracted.append(relative)
        }
        return extracted
    }

    struct Member {
        var path: String
        var original: String
        var type: UInt32
        var symlink: String?
        var hardlink: String?
    }

    private static func members(of tar: URL, stripComponents: Int) throws -> [Member] {
        guard let archive = archive_read_new() else { throw GSSAError.server("libarchive: out of memory") }
        defer { archive_read_free(archive) }
        archive_read_support_format_tar(archive)
        archive_read_support_filter_all(archive)
        guard archive_read_open_filename(archive, tar.path, 64 * 1024) == ARCHIVE_OK else {
            throw GSSAError.server("cannot read tar \(tar.path): \(self.message(archive))")
        }
        var result: [Member] = []
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status >= ARCHIVE_WARN else {
                throw GSSAError.server("corrupt tar \(tar.path): \(self.message(archive))")
            }
            let original = String(cString: archive_entry_pathname(entry))
            if original.hasPrefix("/") {
                throw GSSAError.server("refusing tar \(tar.lastPathComponent): member '\(original)' has an absolute path")
            }
            guard let path = self.strip(original, stripComponents) else { continue }
            result.append(
                Member(
                    path: path, original: original, type: UInt32(archive_entry_filetype(entry)),
                    symlink: archive_entry_symlink(entry).map { String(cString: $0) },
                    hardlink: archive_entry_hardlink(entry).map { String(cString: $0) }))
        }
        return result
    }

    private static func check(_ member: Member, tar: URL) throws {
        let name = tar.lastPathComponent
        func refuse(_ why: String) -> GSSAError {
            GSSAError.server("refusing tar \(name): member '\(member.original)' \(why)")
        }
        let components = member.path.split(separator: "/", omittingEmptySubsequences: true)
        if components.contains("..") { throw refuse("contains '..'") }
        switch member.type {
        case typeRegular, typeDirectory:
            break
        case typeSymlink:
            guard let target = member.symlink else { throw refuse("is a symlink without target") }
            if target.hasPrefix("/") { throw refuse("is a symlink to the absolute path '\(target)'") }
            // Resolve lexically from the link's own directory; it must stay inside.
            var depth = components.count - 1
            for part in target.split(separator: "/", omittingEmptySubsequences: true) {
                if part == ".." { depth -= 1 } else if part != "." { depth += 1 }
                if depth < 0 { throw refuse("is a symlink escaping the output ('\(target)')") }
            }
        default:
            throw refuse("is not a regular file, directory or symlink")
        }
        if let link = member.hardlink {
            if link.hasPrefix("/") || link.split(separator: "/").contains("..") {
                throw refuse("is a hard link to '\(link)' outside the archive")
            }
        }
    }

    /// Drops the first `count` components; nil when nothing is left (the stripped root itself).
    private static func strip(_ path: String, _ count: Int) -> String? {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        guard parts.count > count else { return nil }
        parts.removeFirst(count)
        return parts.joined(separator: "/")
    }

    private static func message(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error"
    }
}

extension TarArchive {
    /// Every regular file of a tar with its bytes (small archives only: used by the in-memory engine).
    public static func readAll(_ tar: Data) throws -> [(path: String, data: Data, mode: UInt32)] {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-tar-\(UUID().uuidString).tar")
        try tar.write(to: temp)
        defer { try? FileManager.default.removeItem(at: temp) }
        guard let archive = archive_read_new() else { throw GSSAError.server("libarchive: out of memory") }
        defer { archive_read_free(archive) }
        archive_read_support_format_tar(archive)
        guard archive_read_open_filename(archive, temp.path, 64 * 1024) == ARCHIVE_OK else {
            throw GSSAError.server("cannot read tar: \(self.message(archive))")
        }
        var result: [(String, Data, UInt32)] = []
        var entry: OpaquePointer?
        while archive_read_next_header(archive, &entry) == ARCHIVE_OK {
            guard UInt32(archive_entry_filetype(entry)) == typeRegular else { continue }
            let path = String(cString: archive_entry_pathname(entry))
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let n = archive_read_data(archive, &buffer, buffer.count)
                if n <= 0 { break }
                data.append(contentsOf: buffer[0..<n])
            }
            result.append((path, data, UInt32(archive_entry_perm(entry))))
        }
        return result
    }
}
