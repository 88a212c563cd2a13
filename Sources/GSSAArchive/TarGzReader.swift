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
        try SafeExtraction.members(of: url, code: .client)
    }

    /// Lists the members, stopping at the first header past `limits` (declared sizes and
    /// count); `exceeded` says which limit was crossed. Nothing is written.
    public static func members(of url: URL, within limits: ArchiveLimits) throws(GSSAError)
        -> (members: [Member], exceeded: ArchiveLimits.Exceeded?)
    {
        try SafeExtraction.scan(url, code: .client, limits: limits)
    }

    /// Checks every member: relative names without `..`, links that stay inside (chains
    /// followed), nothing beneath a symlink, no devices.
    public static func validate(_ members: [Member], archiveName: String) throws(GSSAError) {
        try SafeExtraction.validate(members, stripComponents: 0, refusal: "archive \(archiveName)", code: .client)
    }

    /// Extracts into `directory` (created if needed) after validating the whole archive.
    /// With `limits`, extraction also stops at the first entry or byte over them (the
    /// caller removes `target`).
    @discardableResult
    public static func extract(_ url: URL, into target: URL, limits: ArchiveLimits? = nil) throws(GSSAError) -> [Member] {
        let directory = target.standardizedFileURL
        let members: [Member]
        if let limits {
            let scan = try TarGzReader.members(of: url, within: limits)
            if let exceeded = scan.exceeded { throw GSSAError.client("archive \(url.lastPathComponent) \(exceeded.reason)") }
            members = scan.members
        } else {
            members = try TarGzReader.members(of: url)
        }
        try validate(members, archiveName: url.lastPathComponent)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw GSSAError.server("cannot create \(directory.path): \(error)")
        }
        _ = try SafeExtraction.extract(
            url, into: directory, stripComponents: 0, refusal: "archive \(url.lastPathComponent)", code: .client,
            restorePermissions: true, limits: limits)
        return members
    }
}
