import Foundation
import GSSA
import GSSAArchive

/// Builds a run's results or diagnostic bundle from a snapshot of its record, with no access
/// to the manager: it runs on ``BlockingWork``'s thread pool while the actor answers others.
///
/// The bundle is written to a fresh name beside its final one and renamed into place only
/// when complete, so a download that opened an earlier bundle, or a concurrent build, never
/// sees a half-written archive.
enum BundleWorker {
    /// Everything the build needs, read on the actor before it starts.
    struct Job: Sendable {
        var kind: API.Bundle
        var directory: URL
        var prefix: String
        var imageID: String
        /// `status.json` of the diagnostic bundle.
        var status: Data?
    }

    /// The final name of a bundle in the run directory.
    static func archiveURL(_ kind: API.Bundle, in directory: URL) -> URL {
        directory.appendingPathComponent(kind == .results ? "results_archive.tgz" : "diagnostic_archive.tgz")
    }

    /// A fresh, hidden name to build into (removed on failure).
    static func partialURL(_ kind: API.Bundle, in directory: URL) -> URL {
        directory.appendingPathComponent(".\(kind.rawValue)-\(UUID().uuidString).tgz.partial")
    }

    /// Writes the bundle to `partial` (blocking: call it through ``BlockingWork``).
    ///
    /// Members sit under `<GUID>/`. Results: `output/`, `original.xml`, `guid`, `simimage.txt`.
    /// Diagnostic: `input/` (with `glossia-simimage.txt`, the image ID for re-running),
    /// `logs/`, `original.xml`, `guid`, `status.json`, `mesher.log`. Whatever could not be
    /// added is listed in `diagnostic_missing.txt`.
    static func build(_ job: Job, into partial: URL) throws {
        let fm = FileManager.default
        let directory = job.directory
        let prefix = job.prefix
        var missing: [String] = []
        do {
            let writer = try TarGzWriter(url: partial)
            func tree(_ relative: String, as name: String) throws {
                let url = directory.appendingPathComponent(relative)
                var isDirectory: ObjCBool = false
                guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                    missing.append("Missing \(name) : not present")
                    return
                }
                if isDirectory.boolValue {
                    try writer.addTree(at: url, as: "\(prefix)/\(name)")
                } else {
                    try writer.add("\(prefix)/\(name)", .file(try Data(contentsOf: url)))
                }
            }
            try writer.add(prefix, .directory())
            try tree("original.xml", as: "original.xml")
            try tree("guid", as: "guid")
            switch job.kind {
            case .results:
                try tree("output", as: "output")
                if job.imageID.isEmpty { missing.append("Missing simimage.txt : the run never reached a container") }
                else { try writer.add("\(prefix)/simimage.txt", .file(Data((job.imageID + "\n").utf8))) }
            case .diagnostic:
                try tree("input", as: "input")
                if job.imageID.isEmpty { missing.append("Missing input/glossia-simimage.txt : the run never reached a container") }
                else { try writer.add("\(prefix)/input/glossia-simimage.txt", .file(Data((job.imageID + "\n").utf8))) }
                try tree("output/logs", as: "logs")
                if fm.fileExists(atPath: directory.appendingPathComponent("mesher.log").path) {
                    try tree("mesher.log", as: "mesher.log")
                }
                if let status = job.status { try writer.add("\(prefix)/status.json", .file(status)) }
            }
            try writer.add("\(prefix)/diagnostic_missing.txt", .file(Data(missing.map { $0 + "\n" }.joined().utf8)))
            try writer.finish()
        } catch {
            try? fm.removeItem(at: partial)
            throw error
        }
    }

    /// Renames a complete bundle into place (atomically replacing an earlier one).
    static func install(_ partial: URL, as archive: URL) throws {
        guard rename(partial.path, archive.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: partial)
            throw GSSAError.server("cannot install \(archive.lastPathComponent): \(reason)")
        }
    }
}
