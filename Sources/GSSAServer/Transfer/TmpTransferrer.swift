import Foundation
import GSSA
import GSSAArchive


/// The `tmp` transferrer: a local directory on the server, or an input tar.gz.
///
/// Its root is the calling user's own area (`<data>/transfer/<user>`, see
/// ``ServerConfiguration/transferDirectory(for:)``): one user never reads what another pushed.
/// Without an archive, `remote` is read from `<root>/<remoteRoot>/<remote>`. With an archive
/// (uploaded by `gssa launch`, or `<input location="…"/>` inside the user's area), the archive
/// is extracted with traversal refused and within ``limits``, and each remote is looked up by
/// its path and then by its base name, as glot's tarballs were.
public struct TmpTransferrer: Transferrer {
    /// The user's transfer area (the original's shared `/tmp/gssa-transferrer`, now per user).
    public var root: URL
    /// An input archive, if any.
    public var archive: URL?
    /// Where the archive is extracted (inside the run directory; removed after the pull).
    public var scratch: URL?
    /// Bounds on the archive's expansion.
    public var limits: ArchiveLimits
    /// How to raise ``limits``, appended to refusals.
    public var limitHint: String

    public init(
        root: URL, archive: URL? = nil, scratch: URL? = nil,
        limits: ArchiveLimits = ArchiveLimits(maximumEntries: 10_000, maximumExpandedBytes: 2 << 30),
        limitHint: String = ""
    ) {
        self.root = root
        self.archive = archive
        self.scratch = scratch
        self.limits = limits
        self.limitHint = limitHint
    }

    /// Resolves `<input location>` of the XML: it must stay inside the user's transfer area.
    public static func resolveLocation(_ location: String, root: URL) throws(GSSAError) -> URL {
        let rootPath = root.standardizedFileURL.resolvingSymlinksInPath().path
        let url = location.hasPrefix("/")
            ? URL(fileURLWithPath: location) : root.appendingPathComponent(location)
        let resolved = url.standardizedFileURL.resolvingSymlinksInPath().path
        guard resolved == rootPath || resolved.hasPrefix(rootPath + "/") else {
            throw GSSAError.client(
                "input archive \(location) is outside your transfer directory on the server",
                element: "<input location=\"\(location)\">", attribute: "location")
        }
        return URL(fileURLWithPath: resolved)
    }

    /// Whether `url`, with every symlink followed, is inside the user's area.
    func isInsideRoot(_ url: URL) -> Bool {
        let rootPath = root.standardizedFileURL.resolvingSymlinksInPath().path
        let resolved = url.standardizedFileURL.resolvingSymlinksInPath().path
        return resolved == rootPath || resolved.hasPrefix(rootPath + "/")
    }

    /// Extracts and copies on the background pool (``BlockingWork``): never on the caller's actor or the cooperative pool.
    public func pull(_ files: [TransferFile], into target: URL, remoteRoot: String) async throws {
        guard !files.isEmpty else { return }
        try await BlockingWork().run(.pull, key: target.lastPathComponent) { try self.pullBlocking(files, into: target, remoteRoot: remoteRoot) }
    }

    func pullBlocking(_ files: [TransferFile], into target: URL, remoteRoot: String) throws {
        let fm = FileManager.default
        var source: URL
        var extracted: URL?
        if let archive {
            guard fm.fileExists(atPath: archive.path) else {
                throw GSSAError.client("input archive \(archive.lastPathComponent) not found")
            }
            let scan = try TarGzReader.members(of: archive, within: limits)
            if let exceeded = scan.exceeded {
                throw GSSAError.client("input archive \(archive.lastPathComponent) \(exceeded.reason)\(limitHint)")
            }
            let directory = (scratch ?? fm.temporaryDirectory).appendingPathComponent("gssa-pull-\(UUID().uuidString)")
            extracted = directory
            do {
                try TarGzReader.extract(archive, into: directory, limits: limits)
            } catch {
                try? fm.removeItem(at: directory)
                throw error
            }
            source = directory
        } else {
            guard remoteRoot.isEmpty || remoteRoot == "." || SafePath.isSafeRelative(remoteRoot) else {
                throw GSSAError.client("refused remote directory '\(remoteRoot)': it must be relative without '..'")
            }
            source = remoteRoot.isEmpty || remoteRoot == "." ? root : root.appendingPathComponent(remoteRoot)
        }
        defer { if let extracted { try? fm.removeItem(at: extracted) } }
        for file in files {
            let destination = try file.checkedLocal(in: target)
            guard SafePath.isSafeRelative(file.remote) else {
                throw GSSAError.client("refused input name '\(file.remote)': it must be relative without '..'")
            }
            var candidate = source.appendingPathComponent(file.remote)
            if !fm.fileExists(atPath: candidate.path), archive != nil {
                candidate = source.appendingPathComponent((file.remote as NSString).lastPathComponent)
            }
            guard fm.fileExists(atPath: candidate.path) else {
                throw GSSAError.client(
                    "input file \(file.remote) (for \(file.local)) not found "
                        + (archive != nil ? "in the input archive" : "in your transfer directory"))
            }
            // A symlink in the user's area (pushed from a run's output) must not reach out of it.
            if archive == nil, !isInsideRoot(candidate) {
                throw GSSAError.client("input file \(file.remote) (for \(file.local)) leads outside your transfer directory")
            }
            do {
                try fm.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
                if fm.fileExists(atPath: destination.path) { try fm.removeItem(at: destination) }
                try fm.copyItem(at: candidate, to: destination)
            } catch {
                throw GSSAError.server("cannot copy input \(file.remote) to \(file.local): \(error.localizedDescription)")
            }
        }
    }

    /// Copies on NIO's thread pool, like ``pull(_:into:remoteRoot:)``.
    public func push(_ files: [TransferFile], from source: URL, remoteRoot: String) async throws -> [String: String] {
        try await BlockingWork().run(.pull, key: source.lastPathComponent) { try self.pushBlocking(files, from: source, remoteRoot: remoteRoot) }
    }

    func pushBlocking(_ files: [TransferFile], from source: URL, remoteRoot: String) throws -> [String: String] {
        let fm = FileManager.default
        guard remoteRoot.isEmpty || remoteRoot == "." || SafePath.isSafeRelative(remoteRoot) else {
            throw GSSAError.client("refused remote directory '\(remoteRoot)': it must be relative without '..'")
        }
        let base = remoteRoot.isEmpty || remoteRoot == "." ? root : root.appendingPathComponent(remoteRoot)
        var pushed: [String: String] = [:]
        for file in files {
            let local = try file.checkedLocal(in: source)
            guard SafePath.isSafeRelative(file.remote) else {
                throw GSSAError.client("refused target name '\(file.remote)': it must be relative without '..'")
            }
            guard fm.fileExists(atPath: local.path) else {
                throw GSSAError.client("no file \(file.local) in the run directory")
            }
            let destination = base.appendingPathComponent(file.remote)
            do {
                try fm.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            } catch {
                throw GSSAError.server("cannot push \(file.local) to \(file.remote): \(error.localizedDescription)")
            }
            // Never write through a symlink that leads out of the user's area.
            guard isInsideRoot(destination.deletingLastPathComponent()) else {
                throw GSSAError.client("refused target name '\(file.remote)': it leads outside your transfer directory")
            }
            do {
                if (try? fm.destinationOfSymbolicLink(atPath: destination.path)) != nil || fm.fileExists(atPath: destination.path) {
                    try fm.removeItem(at: destination)
                }
                try fm.copyItem(at: local, to: destination)
            } catch {
                throw GSSAError.server("cannot push \(file.local) to \(destination.path): \(error.localizedDescription)")
            }
            pushed[file.local] = destination.path
        }
        return pushed
    }
}
