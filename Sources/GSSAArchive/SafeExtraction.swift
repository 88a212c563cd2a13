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
import GSSAWire

/// The one validation and extraction path for untrusted tars.
///
/// Both user uploads (``TarGzReader``) and container outputs (``TarExtractor``) go through
/// here, so a hole closed once is closed for both. The whole archive is checked before
/// anything is written; extraction then still runs with libarchive's secure flags, which
/// also refuse to write through symlinks already present in the destination.
enum SafeExtraction {
    /// Lists the members of `url`; `code` is the error code for an unreadable archive.
    static func members(of url: URL, code: ErrorCode) throws(GSSAError) -> [TarGzReader.Member] {
        try scan(url, code: code, limits: nil).members
    }

    /// Lists the members of `url`, stopping at the first header that crosses `limits` (the
    /// rest is never decompressed).
    static func scan(_ url: URL, code: ErrorCode, limits: ArchiveLimits?) throws(GSSAError)
        -> (members: [TarGzReader.Member], exceeded: ArchiveLimits.Exceeded?)
    {
        let archive = try open(url, code: code)
        defer { archive_read_free(archive) }
        var members: [TarGzReader.Member] = []
        var declared: Int64 = 0
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                throw GSSAError(code, "corrupt archive \(url.lastPathComponent): \(TarGzWriter.message(archive))")
            }
            members.append(member(of: entry))
            if let limits {
                declared += max(0, archive_entry_size(entry))
                if members.count > limits.maximumEntries { return (members, .entries(limit: limits.maximumEntries)) }
                if declared > limits.maximumExpandedBytes { return (members, .expandedBytes(limit: limits.maximumExpandedBytes)) }
            }
            archive_read_data_skip(archive)
        }
        return (members, nil)
    }

    /// The name (trailing `/` trimmed), kind and size of a libarchive entry.
    static func member(of entry: OpaquePointer) -> TarGzReader.Member {
        let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
        let kind: TarGzReader.Member.Kind
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
        return TarGzReader.Member(name: trimmed, kind: kind, size: archive_entry_size(entry))
    }

    /// Refuses the archive if any member could land outside the extraction root: the one
    /// policy of GSSAWire's ``ArchivePolicy`` (which the runner's start-archive extractor asks too).
    ///
    /// - Parameter refusal: How refusal messages start; each caller keeps the wording its
    ///   users already see (`archive NAME` for uploads, `refusing tar NAME` for the daemon).
    static func validate(
        _ members: [TarGzReader.Member], stripComponents: Int, refusal: String, code: ErrorCode
    ) throws(GSSAError) {
        if let why = ArchivePolicy.refusal(for: members.map(\.policyMember), stripComponents: stripComponents) {
            throw GSSAError(code, "\(refusal): \(why)")
        }
    }

    /// Validates, then extracts `url` into the existing directory `destination`, dropping the
    /// first `stripComponents` path components of every member.
    ///
    /// - Parameter restorePermissions: Apply each member's `0o777` bits exactly (else the
    ///   process umask applies). setuid/setgid/sticky bits are always dropped.
    /// - Returns: The relative paths written.
    ///   - limits: Checked while writing: extraction stops at the first entry or byte over.
    static func extract(
        _ url: URL, into destination: URL, stripComponents: Int, refusal: String, code: ErrorCode,
        restorePermissions: Bool, limits: ArchiveLimits? = nil
    ) throws(GSSAError) -> [String] {
        let archiveName = url.lastPathComponent
        let members = try members(of: url, code: code)
        try validate(members, stripComponents: stripComponents, refusal: refusal, code: code)
        let root = try realPath(destination)
        let archive = try open(url, code: code)
        defer { archive_read_free(archive) }
        guard let disk = archive_write_disk_new() else { throw GSSAError.server("libarchive: cannot allocate disk writer") }
        defer { archive_write_free(disk) }
        // Names were validated above and are re-rooted under `root` below, so absolute paths
        // are expected here; libarchive still refuses `..` and writing through symlinks.
        var flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT
        if restorePermissions { flags |= ARCHIVE_EXTRACT_PERM }
        archive_write_disk_set_options(disk, flags)
        var written: [String] = []
        var entries = 0
        var bytes: Int64 = 0
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                throw GSSAError(code, "corrupt archive \(archiveName): \(TarGzWriter.message(archive))")
            }
            let original = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
            entries += 1
            if let limits, entries > limits.maximumEntries {
                throw GSSAError(code, "\(refusal): \(ArchiveLimits.Exceeded.entries(limit: limits.maximumEntries).reason)")
            }
            guard let relative = strip(original, stripComponents) else { continue }
            archive_entry_set_pathname(entry, root.appendingPathComponent(relative).path)
            if let link = archive_entry_hardlink(entry) {
                let target = String(cString: link)
                guard let linked = strip(target, stripComponents) else {
                    throw GSSAError(code, "\(refusal): hard link '\(original)' -> '\(target)' points outside")
                }
                archive_entry_set_hardlink(entry, root.appendingPathComponent(linked).path)
            }
            // Never restore ownership or setuid bits from someone else's archive.
            archive_entry_set_perm(entry, archive_entry_perm(entry) & 0o777)
            guard archive_write_header(disk, entry) >= ARCHIVE_WARN else {
                throw GSSAError(code, "\(refusal): cannot extract '\(original)': \(TarGzWriter.message(disk))")
            }
            if archive_entry_size(entry) > 0 {
                let failure = { GSSAError(code, "archive \(archiveName): cannot extract '\(original)': \(TarGzWriter.message(archive))") }
                try copyData(archive, to: disk, readFailure: failure, writeFailure: failure) { (size) throws(GSSAError) in
                    bytes += size
                    if let limits, bytes > limits.maximumExpandedBytes {
                        throw GSSAError(code, "\(refusal): \(ArchiveLimits.Exceeded.expandedBytes(limit: limits.maximumExpandedBytes).reason)")
                    }
                }
            }
            guard archive_write_finish_entry(disk) >= ARCHIVE_WARN else {
                throw GSSAError(code, "archive \(archiveName): cannot write '\(relative)': \(TarGzWriter.message(disk))")
            }
            written.append(relative)
        }
        return written
    }

    /// Copies the current entry's data blocks from `archive` to the disk writer, calling `count`
    /// with each block's size before it is written (where the caller applies its size limit).
    static func copyData(
        _ archive: OpaquePointer, to disk: OpaquePointer, readFailure: () -> GSSAError, writeFailure: () -> GSSAError,
        count: (Int64) throws(GSSAError) -> Void
    ) throws(GSSAError) {
        var block: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        while true {
            let r = archive_read_data_block(archive, &block, &size, &offset)
            if r == ARCHIVE_EOF { return }
            guard r >= ARCHIVE_WARN else { throw readFailure() }
            try count(Int64(size))
            guard archive_write_data_block(disk, block, size, offset) >= ARCHIVE_WARN else { throw writeFailure() }
        }
    }

    static func open(_ url: URL, code: ErrorCode) throws(GSSAError) -> OpaquePointer {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GSSAError(code, "archive not found: \(url.path)")
        }
        guard let archive = archive_read_new() else { throw GSSAError.server("libarchive: cannot allocate reader") }
        archive_read_support_filter_all(archive)
        archive_read_support_format_tar(archive)
        archive_read_support_format_gnutar(archive)
        guard archive_read_open_filename(archive, url.path, 64 * 1024) == ARCHIVE_OK else {
            let message = TarGzWriter.message(archive)
            archive_read_free(archive)
            throw GSSAError(code, "cannot read archive \(url.lastPathComponent): \(message)")
        }
        return archive
    }

    /// Drops the first `count` components; nil when nothing is left (the root itself).
    static func strip(_ path: String, _ count: Int) -> String? { ArchivePolicy.strip(path, count) }

    private static func realPath(_ url: URL) throws(GSSAError) -> URL {
        guard let resolved = realpath(url.path, nil) else {
            throw GSSAError.server("cannot resolve \(url.path): \(String(cString: strerror(errno)))")
        }
        defer { free(resolved) }
        return URL(fileURLWithPath: String(cString: resolved), isDirectory: true)
    }
}

extension TarGzReader.Member {
    /// The member as the extraction policy sees it.
    var policyMember: ArchiveMember {
        switch kind {
        case .file: ArchiveMember(name: name, kind: .file)
        case .directory: ArchiveMember(name: name, kind: .directory)
        case .symlink(let target): ArchiveMember(name: name, kind: .symlink(target))
        case .hardlink(let target): ArchiveMember(name: name, kind: .hardlink(target))
        case .other: ArchiveMember(name: name, kind: .special("device, FIFO or socket"))
        }
    }
}
