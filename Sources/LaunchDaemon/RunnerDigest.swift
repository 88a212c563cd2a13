import ContainerEngine
import Foundation

/// Whether an image already carries the daemon's runner, so START can skip copying it.
///
/// `gssa images build` bakes the runner into every family image at `/gssa/bin/gssa-container`
/// and labels the image with the runner's SHA-256 (``label``). When that label equals the
/// digest of the runner this daemon is configured with, the per-run archive PUT of the
/// multi-megabyte binary is skipped; any other image (older, unlabelled, or baked with another
/// runner) still gets the configured runner copied over the baked one, so the run always uses
/// the daemon's runner.
enum RunnerDigest {
    /// Image label holding the hex SHA-256 of the baked runner.
    static let label = "org.gssa.runner-sha256"

    /// True when `image` carries exactly the runner whose digest is `digest`.
    static func imageCarries(_ image: ImageInfo, digest: String?) -> Bool {
        guard let digest, let baked = image.labels[Self.label] else { return false }
        return baked.lowercased() == digest
    }

    /// Hex SHA-256 of a file, from coreutils' `sha256sum` (the same tool `images/build.sh`
    /// labels with); nil when it is unavailable or fails, which only costs the copy.
    static func sha256(ofFile path: String) async -> String? {
        let tool = ["/usr/bin/sha256sum", "/bin/sha256sum"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let tool else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["--", path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let status: Int32? = await withCheckedContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(returning: nil)
            }
        }
        guard status == 0 else { return nil }
        let data = (try? output.fileHandleForReading.readToEnd()) ?? Data()
        let hex = String(decoding: data.prefix(64), as: UTF8.self)
        guard hex.count == 64, hex.allSatisfy({ $0.isHexDigit }) else { return nil }
        return hex.lowercased()
    }
}
