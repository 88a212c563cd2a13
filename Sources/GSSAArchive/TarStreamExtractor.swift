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

/// Extracts a tar as it streams in (a container's output), without a temporary copy.
///
/// Every member passes the same policy as ``TarExtractor`` (``SafeExtraction``) before a byte of
/// it is written. Because the archive cannot be read twice, three order rules are added: a
/// symlink may not replace or sit above an earlier member, no member may repeat a symlink's path,
/// and every earlier symlink is re-checked when a new one arrives (a later link could otherwise
/// redirect an earlier one). Byte and entry counts are enforced while streaming: the first
/// member over a limit stops the extraction with the caller's error.
public enum TarStreamExtractor {
    /// Bounds of one extraction and the errors that report them (they name the setting to raise).
    public struct Limits: Sendable {
        /// Sum of regular-file bytes.
        public var maxBytes: Int64
        /// Members of any kind.
        public var maxEntries: Int
        /// Symlinks (each new one re-checks the earlier ones).
        public var maxSymlinks: Int
        public var bytesExceeded: GSSAError
        public var entriesExceeded: GSSAError

        public init(
            maxBytes: Int64, maxEntries: Int, maxSymlinks: Int = 4096, bytesExceeded: GSSAError,
            entriesExceeded: GSSAError
        ) {
            self.maxBytes = maxBytes
            self.maxEntries = maxEntries
            self.maxSymlinks = maxSymlinks
            self.bytesExceeded = bytesExceeded
            self.entriesExceeded = entriesExceeded
        }
    }

    /// What one extraction wrote.
    public struct Summary: Sendable, Hashable {
        public var paths: [String]
        public var bytes: Int64
    }

    /// Extracts the tar read from `source` into the calling thread's *current directory*,
    /// dropping the first `stripComponents` components of every member.
    ///
    /// Paths are written relative, so the caller decides where they land by the directory it
    /// makes current (the launch daemon gives its extraction thread a private cwd opened with
    /// `O_NOFOLLOW`). libarchive's secure flags also refuse to write through any symlink or `..`.
    /// Refusals are ``ErrorCode/server`` errors starting with `refusal`; limits throw the errors in
    /// `limits`; a failing `source` throws its own error. What was written before a failure stays:
    /// the caller removes it.
    public static func extractIntoCurrentDirectory(
        from source: TarByteSource, stripComponents: Int, limits: Limits, refusal: String
    ) throws(GSSAError) -> Summary {
        guard let archive = archive_read_new() else { throw GSSAError.server("libarchive: cannot allocate reader") }
        defer { archive_read_free(archive) }
        archive_read_support_format_tar(archive)
        archive_read_support_format_gnutar(archive)
        let context = Unmanaged.passRetained(ReadContext(source))
        defer { context.release() }
        guard archive_read_open(archive, context.toOpaque(), nil, readChunk, nil) == ARCHIVE_OK else {
            throw context.takeUnretainedValue().failure ?? GSSAError.server("\(refusal): cannot read the archive: \(TarGzWriter.message(archive))")
        }
        guard let disk = archive_write_disk_new() else { throw GSSAError.server("libarchive: cannot allocate disk writer") }
        defer { archive_write_free(disk) }
        archive_write_disk_set_options(
            disk,
            ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT
                | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS)

        var policy = StreamPolicy(stripComponents: stripComponents, refusal: refusal, limits: limits)
        var written: [String] = []
        var entry: OpaquePointer?
        func readFailure() -> GSSAError {
            context.takeUnretainedValue().failure
                ?? GSSAError.server("\(refusal): corrupt archive: \(TarGzWriter.message(archive))")
        }
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else { throw readFailure() }
            let member = SafeExtraction.member(of: entry)
            guard let relative = try policy.admit(member) else { continue }
            archive_entry_set_pathname(entry, relative)
            if case .hardlink(let target) = member.kind, let linked = SafeExtraction.strip(target, stripComponents) {
                archive_entry_set_hardlink(entry, linked)
            }
            // Never restore ownership or setuid bits from a container's archive.
            archive_entry_set_perm(entry, archive_entry_perm(entry) & 0o777)
            guard archive_write_header(disk, entry) >= ARCHIVE_WARN else {
                throw GSSAError.server("\(refusal): cannot extract '\(member.name)': \(TarGzWriter.message(disk))")
            }
            if archive_entry_size(entry) > 0 {
                try SafeExtraction.copyData(
                    archive, to: disk, readFailure: readFailure,
                    writeFailure: { GSSAError.server("\(refusal): cannot write '\(relative)': \(TarGzWriter.message(disk))") }
                ) { (size) throws(GSSAError) in try policy.count(bytes: size) }
            }
            guard archive_write_finish_entry(disk) >= ARCHIVE_WARN else {
                throw GSSAError.server("\(refusal): cannot write '\(relative)': \(TarGzWriter.message(disk))")
            }
            written.append(relative)
        }
        return Summary(paths: written, bytes: policy.bytes)
    }

    /// Holds the chunk libarchive is reading, and the source's failure.
    final class ReadContext {
        let source: TarByteSource
        var held: UnsafeMutableRawBufferPointer?
        var failure: GSSAError?

        init(_ source: TarByteSource) { self.source = source }

        deinit { self.held?.deallocate() }

        /// Next chunk into `held`; 0 at the end, -1 on failure.
        func next(_ out: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
            self.held?.deallocate()
            self.held = nil
            do {
                guard let chunk = try self.source.next() else { return 0 }
                let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk.count, alignment: 1)
                copy.copyBytes(from: chunk)
                self.held = copy
                out.pointee = UnsafeRawPointer(copy.baseAddress)
                return chunk.count
            } catch let error as GSSAError {
                self.failure = error
            } catch {
                self.failure = GSSAError.wrapping(error)
            }
            return -1
        }
    }
}

/// libarchive's read callback: the next chunk of the byte source.
private func readChunk(
    _ archive: OpaquePointer?, _ data: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<UnsafeRawPointer?>?
) -> la_ssize_t {
    guard let data, let buffer else { return -1 }
    let context = Unmanaged<TarStreamExtractor.ReadContext>.fromOpaque(data).takeUnretainedValue()
    return la_ssize_t(context.next(buffer))
}

/// The streaming form of the member policy: GSSAWire's ``ArchivePolicy``
/// against the symlinks seen so far, plus the order rules and the limits.
struct StreamPolicy {
    let stripComponents: Int
    let refusal: String
    let limits: TarStreamExtractor.Limits
    private(set) var links: [String: String] = [:]
    /// Every path admitted so far, and every directory above one.
    private var seen: Set<String> = []
    private var ancestors: Set<String> = []
    private var entries = 0
    private(set) var bytes: Int64 = 0
    private var declared: Int64 = 0

    init(stripComponents: Int, refusal: String, limits: TarStreamExtractor.Limits) {
        self.stripComponents = stripComponents
        self.refusal = refusal
        self.limits = limits
    }

    private func refuse(_ why: String) -> GSSAError { GSSAError.server("\(self.refusal): \(why)") }

    /// The relative path to write `member` at, nil to skip it (the stripped root), or a refusal.
    mutating func admit(_ member: TarGzReader.Member) throws(GSSAError) -> String? {
        self.entries += 1
        if self.entries > self.limits.maxEntries { throw self.limits.entriesExceeded }
        if let why = ArchivePolicy.refusal(for: member.policyMember, stripComponents: self.stripComponents, links: self.links) {
            throw self.refuse(why)
        }
        guard let path = SafeExtraction.strip(member.name, self.stripComponents) else { return nil }
        if self.links[path] != nil {
            throw self.refuse("member '\(member.name)' repeats the path of the symlink '\(path)'")
        }
        switch member.kind {
        case .symlink:
            if self.seen.contains(path) || self.ancestors.contains(path) {
                throw self.refuse("symlink '\(member.name)' would replace or sit above an earlier member")
            }
            guard case .symlink(let target) = member.kind else { break }
            self.links[path] = target
            if self.links.count > self.limits.maxSymlinks {
                throw self.refuse("more than \(self.limits.maxSymlinks) symlinks")
            }
            // A new link can redirect one seen before it: check them all again.
            for (other, otherTarget) in self.links {
                let parent = Array(ArchivePolicy.components(other).dropLast())
                if ArchivePolicy.resolveEscapes(from: parent, through: otherTarget, links: self.links) {
                    throw self.refuse("symlink '\(other)' -> '\(otherTarget)' points outside (through '\(path)')")
                }
            }
        case .file, .hardlink:
            self.declared += max(0, member.size)
            if self.declared > self.limits.maxBytes { throw self.limits.bytesExceeded }
        case .directory, .other:
            break
        }
        self.seen.insert(path)
        var parts = ArchivePolicy.components(path)
        while parts.count > 1 {
            parts.removeLast()
            self.ancestors.insert(parts.joined(separator: "/"))
        }
        return path
    }

    /// Counts bytes actually written (a lying header cannot get past the quota).
    mutating func count(bytes: Int64) throws(GSSAError) {
        self.bytes += bytes
        if self.bytes > self.limits.maxBytes { throw self.limits.bytesExceeded }
    }
}
