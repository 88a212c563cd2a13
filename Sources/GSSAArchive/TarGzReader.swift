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

/// Reads and safely extracts tar archives (any compression libarchive knows).
///
/// Archives arrive from users and from containers; either can be hostile. The whole archive is
/// checked before anything is written, so a traversal attempt extracts nothing at all.
public enum TarGzReader {
    public struct Member: Sendable, Hashable {
        public enum Kind: Sendable, Hashable { case file, directory, symlink(String), hardlink(String), other }
        public var name: String
        public var kind: Kind
        public var size: Int64
    }

    /// Lists the members without extracting.
    public static func members(of url: URL) throws(GSSAError) -> [Member] {
        let archive = try open(url)
        defer { archive_read_free(archive) }
        var members: [Member] = []
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                throw GSSAError.client("corrupt archive \(url.lastPathComponent): \(TarGzWriter.message(archive))")
            }
            let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
            let kind: Member.Kind
            if let link = archive_entry_hardlink(entry) {
                kind = .hardlink(String(cString: link))
            } else {
                switch Int32(archive_entry_filetype(entry)) {
                case Int32(gssa_ae_ifreg): kind = .file
                case Int32(gssa_ae_ifdir): kind = .directory
                case Int32(gssa_ae_iflnk): kind = .symlink(archive_entry_symlink(entry).map { String(cString: $0) } ?? "")
                default: kind = .other
                }
            }
            let trimmed = name.count > 1 && name.hasSuffix("/") ? String(name.dropLast()) : name
            members.append(Member(name: trimmed, kind: kind, size: archive_entry_size(entry)))
            archive_read_data_skip(archive)
        }
        return members
    }

    /// Checks every member: relative names without `..`, links that stay inside, no devices.
    public static func validate(_ members: [Member], archiveName: String) throws(GSSAError) {
        for member in members {
            let name = member.name.hasPrefix("./") ? String(member.name.dropFirst(2)) : member.name
            if name.isEmpty || name == "." { continue }
            guard SafePath.isSafeRelative(name) else {
                throw GSSAError.client("archive \(archiveName): member '\(member.name)' escapes the extraction directory")
            }
            switch member.kind {
            case .symlink(let target):
                guard !target.hasPrefix("/"), staysInside(link: name, target: target) else {
                    throw GSSAError.client("archive \(archiveName): symlink '\(member.name)' -> '\(target)' points outside")
                }
            case .hardlink(let target):
                guard SafePath.isSafeRelative(target) else {
                    throw GSSAError.client("archive \(archiveName): hard link '\(member.name)' -> '\(target)' points outside")
                }
            case .other:
                throw GSSAError.client("archive \(archiveName): member '\(member.name)' is a device, fifo or socket")
            case .file, .directory:
                break
            }
        }
    }

    /// Extracts into `directory` (created if needed) after validating the whole archive.
    @discardableResult
    public static func extract(_ url: URL, into target: URL) throws(GSSAError) -> [Member] {
        let directory = target.standardizedFileURL
        let members = try members(of: url)
        try validate(members, archiveName: url.lastPathComponent)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw GSSAError.server("cannot create \(directory.path): \(error)")
        }
        let archive = try open(url)
        defer { archive_read_free(archive) }
        guard let disk = archive_write_disk_new() else { throw GSSAError.server("libarchive: cannot allocate disk writer") }
        defer { archive_write_free(disk) }
        // Names were validated above and are re-rooted under `directory` below, so absolute
        // paths are expected here; libarchive still refuses `..` and writing through symlinks.
        let flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_SYMLINKS
            | ARCHIVE_EXTRACT_SECURE_NODOTDOT
        archive_write_disk_set_options(disk, flags)
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                throw GSSAError.client("corrupt archive \(url.lastPathComponent): \(TarGzWriter.message(archive))")
            }
            let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
            archive_entry_set_pathname(entry, directory.appendingPathComponent(name).path)
            if let link = archive_entry_hardlink(entry) {
                archive_entry_set_hardlink(entry, directory.appendingPathComponent(String(cString: link)).path)
            }
            // Never restore ownership or setuid bits from someone else's archive.
            archive_entry_set_perm(entry, archive_entry_perm(entry) & 0o777)
            let written = archive_write_header(disk, entry)
            guard written == ARCHIVE_OK || written == ARCHIVE_WARN else {
                throw GSSAError.client("archive \(url.lastPathComponent): cannot extract '\(name)': \(TarGzWriter.message(disk))")
            }
            if archive_entry_size(entry) > 0 {
                try copyData(from: archive, to: disk, name: name, archiveName: url.lastPathComponent)
            }
            archive_write_finish_entry(disk)
        }
        return members
    }

    private static func copyData(from archive: OpaquePointer, to disk: OpaquePointer, name: String, archiveName: String) throws(GSSAError) {
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        while true {
            let status = archive_read_data_block(archive, &buffer, &size, &offset)
            if status == ARCHIVE_EOF { return }
            guard status == ARCHIVE_OK, archive_write_data_block(disk, buffer, size, offset) == ARCHIVE_OK else {
                throw GSSAError.client("archive \(archiveName): cannot extract '\(name)': \(TarGzWriter.message(archive))")
            }
        }
    }

    private static func open(_ url: URL) throws(GSSAError) -> OpaquePointer {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GSSAError.client("archive not found: \(url.path)")
        }
        guard let archive = archive_read_new() else { throw GSSAError.server("libarchive: cannot allocate reader") }
        archive_read_support_filter_all(archive)
        archive_read_support_format_tar(archive)
        archive_read_support_format_gnutar(archive)
        guard archive_read_open_filename(archive, url.path, 64 * 1024) == ARCHIVE_OK else {
            let message = TarGzWriter.message(archive)
            archive_read_free(archive)
            throw GSSAError.client("cannot read archive \(url.lastPathComponent): \(message)")
        }
        return archive
    }

    /// Whether a relative symlink at `link` pointing to `target` resolves inside the root.
    static func staysInside(link: String, target: String) -> Bool {
        var depth = link.split(separator: "/").count - 1
        for component in target.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": depth -= 1
            default: depth += 1
            }
            if depth < 0 { return false }
        }
        return true
    }
}
