import CContainerSupport
import GSSAWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Extracts the model's `start.tar.gz` into the run directory, safely.
///
/// Two passes over the archive with libarchive: the first reads every header and builds an
/// ``ArchivePlan`` (which rejects the whole archive on any `..`, absolute path or symlink
/// escape, before anything is written); the second writes the members with `*at` calls relative
/// to the run directory, never following symlinks in the path (`O_NOFOLLOW`), so even a
/// checker bug could not write outside it. Modes are kept minus set-id bits; owners are not.
public struct StartArchiveExtractor: Sendable {
    public var archivePath: String
    /// Checked on the headers before anything is written, and on the bytes while writing.
    public var limits: ArchiveLimits

    public init(archivePath: String, limits: ArchiveLimits = .startArchive) {
        self.archivePath = archivePath
        self.limits = limits
    }

    /// Checks the archive and returns its plan without writing anything.
    public func plan() throws(RunnerFailure) -> ArchivePlan {
        var members: [ArchiveMember] = []
        var declared: Int64 = 0
        try withArchive { (archive, entry) throws(RunnerFailure) in
            members.append(try Self.member(of: entry))
            declared += max(0, archive_entry_size(entry))
            if members.count > limits.maximumEntries { throw refusal(.entries(limit: limits.maximumEntries)) }
            if declared > limits.maximumExpandedBytes { throw refusal(.expandedBytes(limit: limits.maximumExpandedBytes)) }
            archive_read_data_skip(archive)
        }
        return try ArchivePlan(members)
    }

    private func refusal(_ exceeded: ArchiveLimits.Exceeded) -> RunnerFailure {
        .client("start archive rejected: it \(exceeded.reason)")
    }

    /// Checks, then extracts into `directory` (which must exist). Returns the plan.
    @discardableResult
    public func extract(into directory: String) throws(RunnerFailure) -> ArchivePlan {
        let plan = try plan()
        let root = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { throw .server("cannot open run directory \(directory): \(FileSystem.errnoText())") }
        defer { close(root) }
        var index = 0
        var written: Int64 = 0
        var directoryModes: [([String], mode_t)] = []
        try withArchive { (archive, entry) throws(RunnerFailure) in
            // The plan skipped root entries and repeated directories; follow along by path.
            let name = Self.pathname(of: entry)
            guard let components = try? ArchivePath.normalize(name), !components.isEmpty,
                index < plan.members.count, plan.members[index].components == components
            else {
                archive_read_data_skip(archive)
                return
            }
            let member = plan.members[index].member
            index += 1
            let mode = mode_t(archive_entry_perm(entry)) & 0o777
            let parent = try Self.openParent(root: root, components: components)
            defer { if parent != root { close(parent) } }
            let leaf = components.last!
            switch member.kind {
            case .directory:
                if mkdirat(parent, leaf, 0o700) != 0 && errno != EEXIST {
                    throw .server("cannot create \(name): \(FileSystem.errnoText())")
                }
                directoryModes.append((components, mode))
            case .file:
                let fd = openat(parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode | 0o600)
                guard fd >= 0 else { throw .server("cannot create \(name): \(FileSystem.errnoText())") }
                defer { close(fd) }
                try Self.copyData(archive, to: fd, name: name, written: &written, limit: limits.maximumExpandedBytes)
                fchmod(fd, mode)
            case .symlink(let target):
                if symlinkat(target, parent, leaf) != 0 {
                    throw .server("cannot create symlink \(name): \(FileSystem.errnoText())")
                }
            case .hardlink(let target):
                let targetPath = (try? ArchivePath.normalize(target))?.joined(separator: "/") ?? target
                if linkat(root, targetPath, parent, leaf, 0) != 0 {
                    throw .server("cannot create hard link \(name): \(FileSystem.errnoText())")
                }
            case .special:
                break
            }
        }
        // Directory modes last, so read-only directories could still be filled.
        for (components, mode) in directoryModes.reversed() {
            fchmodat(root, components.joined(separator: "/"), mode | 0o700, 0)
        }
        return plan
    }

    // MARK: - libarchive

    private func withArchive(_ body: (OpaquePointer, OpaquePointer) throws(RunnerFailure) -> Void) throws(RunnerFailure) {
        guard FileSystem.isRegularFile(archivePath) else {
            throw .client("start archive \(archivePath) is missing")
        }
        guard let archive = archive_read_new() else { throw .server("libarchive: out of memory") }
        defer { archive_read_free(archive) }
        archive_read_support_filter_gzip(archive)
        archive_read_support_format_tar(archive)
        guard archive_read_open_filename(archive, archivePath, 1 << 16) == ARCHIVE_OK else {
            throw .client("start archive \(archivePath) is not a readable tar.gz: \(Self.errorText(archive))")
        }
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                throw .client("start archive \(archivePath) is corrupt: \(Self.errorText(archive))")
            }
            try body(archive, entry)
        }
    }

    private static func errorText(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error"
    }

    static func pathname(of entry: OpaquePointer) -> String {
        archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
    }

    static func member(of entry: OpaquePointer) throws(RunnerFailure) -> ArchiveMember {
        guard let raw = archive_entry_pathname(entry) else {
            throw .client("start archive rejected: a member has no name")
        }
        guard let path = String(validatingCString: raw) else {
            throw .client("start archive rejected: a member name is not valid UTF-8")
        }
        if let link = archive_entry_hardlink(entry) {
            return ArchiveMember(name: path, kind: .hardlink(String(cString: link)))
        }
        // File-type bits as in <sys/stat.h> (the Glibc and libarchive names clash in Swift).
        switch archive_entry_filetype(entry) & 0o170000 {
        case 0o100000: return ArchiveMember(name: path, kind: .file)
        case 0o040000: return ArchiveMember(name: path, kind: .directory)
        case 0o120000:
            let target = archive_entry_symlink(entry).map { String(cString: $0) } ?? ""
            return ArchiveMember(name: path, kind: .symlink(target))
        case 0o020000: return ArchiveMember(name: path, kind: .special("character device"))
        case 0o060000: return ArchiveMember(name: path, kind: .special("block device"))
        case 0o010000: return ArchiveMember(name: path, kind: .special("FIFO"))
        case 0o140000: return ArchiveMember(name: path, kind: .special("socket"))
        default: return ArchiveMember(name: path, kind: .special("file of unknown type"))
        }
    }

    /// Copies a member's bytes, counting them against `limit` (sizes in headers can lie).
    private static func copyData(_ archive: OpaquePointer, to fd: Int32, name: String, written: inout Int64, limit: Int64)
        throws(RunnerFailure)
    {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
            if n == 0 { return }
            if n < 0 { throw .client("start archive is corrupt at \(name): \(errorText(archive))") }
            written += Int64(n)
            if written > limit {
                throw .client("start archive rejected: it \(ArchiveLimits.Exceeded.expandedBytes(limit: limit).reason)")
            }
            if !buffer.withUnsafeBytes({ FileSystem.writeAll(fd, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }) {
                throw .server("cannot write \(name): \(FileSystem.errnoText())")
            }
        }
    }

    /// Opens (creating as needed) the parent directory of a member, one component at a time
    /// with `O_NOFOLLOW`, so no symlink is ever traversed.
    private static func openParent(root: Int32, components: [String]) throws(RunnerFailure) -> Int32 {
        var current = root
        for part in components.dropLast() {
            if mkdirat(current, part, 0o700) != 0 && errno != EEXIST {
                let error = FileSystem.errnoText()
                if current != root { close(current) }
                throw .server("cannot create directory \(components.joined(separator: "/")): \(error)")
            }
            let next = openat(current, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let error = FileSystem.errnoText()
            if current != root { close(current) }
            guard next >= 0 else {
                throw .client("start archive rejected: cannot enter '\(part)' of \(components.joined(separator: "/")): \(error)")
            }
            current = next
        }
        return current
    }
}
