import Foundation
import GSSA
import GSSAArchive

/// The `tmp` transferrer: a local directory on the server, or an input tar.gz.
///
/// Without an archive, `remote` is read from `<root>/<remoteRoot>/<remote>`. With an archive
/// (uploaded by `gssa launch`, or `<input location="…"/>` under the transfer root), the
/// archive is extracted with traversal refused, and each remote is looked up by its path and
/// then by its base name, as glot's tarballs were.
public struct TmpTransferrer: Transferrer {
    /// The server's transfer directory (the original's `/tmp/gssa-transferrer`).
    public var root: URL
    /// An input archive, if any.
    public var archive: URL?

    public init(root: URL, archive: URL? = nil) {
        self.root = root
        self.archive = archive
    }

    /// Resolves `<input location>` of the XML: it must stay inside the transfer root.
    public static func resolveLocation(_ location: String, root: URL) throws(GSSAError) -> URL {
        let rootPath = root.standardizedFileURL.resolvingSymlinksInPath().path
        let url = location.hasPrefix("/")
            ? URL(fileURLWithPath: location) : root.appendingPathComponent(location)
        let resolved = url.standardizedFileURL.resolvingSymlinksInPath().path
        guard resolved == rootPath || resolved.hasPrefix(rootPath + "/") else {
            throw GSSAError.client(
                "input archive \(location) is outside the server's transfer directory \(root.path)",
                element: "<input location=\"\(location)\">", attribute: "location")
        }
        return URL(fileURLWithPath: resolved)
    }

    public func pull(_ files: [TransferFile], into target: URL, remoteRoot: String) async throws {
        guard !files.isEmpty else { return }
        let fm = FileManager.default
        var source: URL
        var scratch: URL?
        if let archive {
            guard fm.fileExists(atPath: archive.path) else {
                throw GSSAError.client("input archive \(archive.lastPathComponent) not found")
            }
            let directory = fm.temporaryDirectory.appendingPathComponent("gssa-pull-\(UUID().uuidString)")
            try TarGzReader.extract(archive, into: directory)
            scratch = directory
            source = directory
        } else {
            guard remoteRoot.isEmpty || remoteRoot == "." || SafePath.isSafeRelative(remoteRoot) else {
                throw GSSAError.client("refused remote directory '\(remoteRoot)': it must be relative without '..'")
            }
            source = remoteRoot.isEmpty || remoteRoot == "." ? root : root.appendingPathComponent(remoteRoot)
        }
        defer { if let scratch { try? fm.removeItem(at: scratch) } }
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
                        + (archive != nil ? "in the input archive" : "in \(source.path)"))
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

    public func push(_ files: [TransferFile], from source: URL, remoteRoot: String) async throws -> [String: String] {
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
                if fm.fileExists(atPath: destination.path) { try fm.removeItem(at: destination) }
                try fm.copyItem(at: local, to: destination)
            } catch {
                throw GSSAError.server("cannot push \(file.local) to \(destination.path): \(error.localizedDescription)")
            }
            pushed[file.local] = destination.path
        }
        return pushed
    }
}
