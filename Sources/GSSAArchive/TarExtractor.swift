#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GSSACore

/// Safely extracts tars that come out of containers.
public enum TarExtractor {
    /// Extracts `tar` into the existing directory `destination`, dropping the first
    /// `stripComponents` path components of every member (Docker's archive API wraps
    /// everything in the copied directory's name).
    ///
    /// The whole archive is checked before anything is written and refused (``ErrorCode/server``)
    /// if any member has an absolute path or a `..` component, lies beneath a symlink, is a
    /// symlink (or chain of symlinks) or hard link pointing outside the destination, or is a
    /// device, FIFO or socket. Extraction then runs with libarchive's secure flags, so it also
    /// never writes through a symlink already in `destination`. Permissions keep only the
    /// `0o777` bits (no setuid).
    ///
    /// - Returns: The relative paths extracted.
    @discardableResult
    public static func extractSafely(_ tar: URL, into destination: URL, stripComponents: Int = 0) throws(GSSAError)
        -> [String]
    {
        try SafeExtraction.extract(
            tar, into: destination, stripComponents: stripComponents, refusal: "refusing tar \(tar.lastPathComponent)",
            code: .server, restorePermissions: false)
    }
}
