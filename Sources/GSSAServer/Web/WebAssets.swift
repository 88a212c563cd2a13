import Foundation

/// The dashboard's files (HTML, CSS, JavaScript modules), shipped as SwiftPM resources of this
/// target: the directory `gssa_GSSAServer.resources/assets` next to the `gssa` binary (where
/// `swift build` puts it; an installation copies it along), or `$GSSA_WEB_ASSETS`.
///
/// Read once at start and served from memory; a name outside the fixed set is a 404, so no
/// path from a request ever reaches the file system.
struct WebAssets: Sendable {
    struct Asset: Sendable {
        let bytes: [UInt8]
        let contentType: String
        let etag: String
    }

    let files: [String: Asset]
    /// Where they were looked for, for the message when they are missing.
    let searched: [String]

    static let bundleName = "gssa_GSSAServer.resources"

    static func load() -> WebAssets {
        var candidates: [URL] = []
        if let path = ProcessInfo.processInfo.environment["GSSA_WEB_ASSETS"], !path.isEmpty {
            candidates.append(URL(fileURLWithPath: path))
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for base in [executable, Bundle.main.bundleURL, executable.deletingLastPathComponent().appendingPathComponent("share/gssa")] {
            candidates.append(base.appendingPathComponent(bundleName).appendingPathComponent("assets"))
        }
        for candidate in candidates {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: candidate.path)) ?? []
            guard names.contains("shell.html") else { continue }
            var files: [String: Asset] = [:]
            for name in names where Self.isServable(name) {
                guard let data = FileManager.default.contents(atPath: candidate.appendingPathComponent(name).path) else { continue }
                files[name] = Asset(bytes: Array(data), contentType: contentType(name), etag: "\"\(data.count)-\(fnv(data))\"")
            }
            return WebAssets(files: files, searched: [candidate.path])
        }
        return WebAssets(files: [:], searched: candidates.map(\.path))
    }

    /// Plain names with one of the served extensions.
    static func isServable(_ name: String) -> Bool {
        name.count <= 64 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
            && !name.hasPrefix(".") && ["html", "css", "js", "svg"].contains(name.split(separator: ".").last.map(String.init) ?? "")
    }

    static func contentType(_ name: String) -> String {
        switch name.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "svg": "image/svg+xml"
        default: "application/octet-stream"
        }
    }

    static func fnv(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    func text(_ name: String) -> String? { files[name].map { String(decoding: $0.bytes, as: UTF8.self) } }
}
