import Foundation
import GSSAArchive
import GSSAFuzzing
import Testing
@testable import GSSA

/// Fuzz target (d): the archive readers. Mutated tars and tar.gz files go through safe extraction
/// (``TarGzReader/extract(_:into:)`` for uploads, ``TarExtractor/extractSafely(_:into:stripComponents:)``
/// for container outputs). Contract: extraction or a `GSSAError` of the reader's code, and
/// nothing written outside the target directory, ever.
@Suite struct ArchiveFuzzTests {
    /// A fixed absolute path that hostile seeds name; it must never appear.
    static let absoluteCanary = "/tmp/gssa-fuzz-canary/escaped.txt"

    /// One ustar header block plus content, written by hand so hostile names are possible.
    static func ustar(_ name: String, type: Character = "0", link: String = "", content: [UInt8] = []) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            put(String(repeating: "0", count: max(0, width - 1 - String(value, radix: 8).count)) + String(value, radix: 8), at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(type == "5" ? 0o755 : 0o644, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(content.count, at: 124, width: 12)
        octal(1_700_000_000, at: 136, width: 12)
        header[156] = type.asciiValue!
        put(link, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        for index in 148..<156 { header[index] = UInt8(ascii: " ") }
        let sum = header.reduce(0) { $0 + Int($1) }
        put(String(repeating: "0", count: 6 - String(sum, radix: 8).count) + String(sum, radix: 8), at: 148, width: 6)
        header[154] = 0
        let padding = (512 - content.count % 512) % 512
        return header + content + [UInt8](repeating: 0, count: padding)
    }

    static func tar(_ members: [[UInt8]]) -> [UInt8] { members.flatMap { $0 } + [UInt8](repeating: 0, count: 1024) }

    /// Seeds: well-formed archives (plain and gzip) and each kind of hostile member.
    static let crashers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Crashers/archive")

    static func corpus() -> [[UInt8]] {
        let hello = Array("print('hello')\n".utf8)
        var seeds: [[UInt8]] = [
            tar([ustar("run/", type: "5"), ustar("run/start.py", content: hello), ustar("run/link", type: "2", link: "start.py"),
                 ustar("data.txt", content: Array(repeating: UInt8(ascii: "x"), count: 700))]),
            tar([ustar("ok.txt", content: hello), ustar("../escape.txt", content: hello)]),
            tar([ustar(absoluteCanary, content: hello)]),
            tar([ustar("link", type: "2", link: "../../etc"), ustar("link/passwd", content: hello)]),
            tar([ustar("abs", type: "2", link: "/tmp/gssa-fuzz-canary"), ustar("abs/escaped.txt", content: hello)]),
            tar([ustar("s1", type: "2", link: "."), ustar("d/s2", type: "2", link: "../s1/..")]),
            tar([ustar("ok.txt", content: hello), ustar("h", type: "1", link: "../escape.txt")]),
            tar([ustar("fifo", type: "6"), ustar("dev", type: "3")]),
        ]
        // Well-formed gzip and pax seeds are committed files: built here, their timestamps would
        // change the mutants from run to run.
        seeds += FuzzCorpus.files(under: [crashers], suffixes: [".tar", ".tar.gz"])
        return seeds
    }

    /// Removes a tree even if extraction left directories without write or search permission.
    static func forceRemove(_ url: URL) {
        if let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil) {
            for case let item as URL in walker { chmod(item.path, 0o700) }
        }
        chmod(url.path, 0o700)
        try? FileManager.default.removeItem(at: url)
    }

    /// Every path under `root` (symlinks not followed), relative.
    static func listing(_ root: URL) -> [String] {
        (FileManager.default.subpaths(atPath: root.path) ?? []).sorted()
    }

    @Test func safeExtractionNeverEscapesOrCrashes() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-fuzz-archive-\(UUID().uuidString)")
        let sandbox = scratch.appendingPathComponent("sandbox")
        try FileManager.default.createDirectory(at: sandbox, withIntermediateDirectories: true)
        defer { Self.forceRemove(scratch) }
        try? FileManager.default.removeItem(atPath: "/tmp/gssa-fuzz-canary")
        let corpus = Self.corpus()
        #expect(corpus.count == 10)

        let campaign = FuzzCampaign(
            target: "archive", seed: 0x6753_5341_0004, defaultCases: 1500,
            mutator: Mutator(dictionary: FuzzDictionary.all + [Array("../".utf8), Array("/tmp/".utf8), [0], [0x1F, 0x8B]], maximumSize: 64 * 1024))
        var index = 0
        let report = campaign.run(corpus: corpus) { bytes in
            index += 1
            let archive = sandbox.appendingPathComponent("case.tar")
            let target = sandbox.appendingPathComponent("out")
            try Data(bytes).write(to: archive)
            defer { Self.forceRemove(target) }
            let upload = index % 2 == 0
            var label: String
            do {
                if upload {
                    try TarGzReader.extract(archive, into: target)
                } else {
                    try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
                    try TarExtractor.extractSafely(archive, into: target)
                }
                label = upload ? "upload extracted" : "output extracted"
            } catch let error as GSSAError {
                let expected: ErrorCode = upload ? .client : .server
                guard error.code == expected else { return .failure("\(error.code.name), not \(expected.name): \(error)") }
                label = upload ? "upload refused" : "output refused"
            }
            // Nothing outside the target: the sandbox holds the archive and the target only,
            // the scratch folder only the sandbox, and the absolute canary does not exist.
            let outside = Self.listing(scratch).filter { $0 != "sandbox" && $0 != "sandbox/case.tar" && $0 != "sandbox/out" && !$0.hasPrefix("sandbox/out/") }
            guard outside.isEmpty else { return .failure("written outside the target: \(outside)") }
            guard !FileManager.default.fileExists(atPath: "/tmp/gssa-fuzz-canary") else { return .failure("wrote /tmp/gssa-fuzz-canary") }
            // Symlinks left inside the target stay inside it.
            for path in Self.listing(target) {
                let full = target.appendingPathComponent(path)
                guard let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: full.path) else { continue }
                let resolved = URL(fileURLWithPath: destination, relativeTo: full.deletingLastPathComponent()).standardizedFileURL.path
                guard resolved == target.path || resolved.hasPrefix(target.standardizedFileURL.path + "/") else {
                    return .failure("symlink \(path) -> \(destination) leaves the target")
                }
            }
            return .outcome(label)
        }
        print("fuzz \(report)")
        #expect(report.failures.isEmpty, "\(report)")
        #expect((report.outcomes["upload extracted"] ?? 0) > 0 && (report.outcomes["output extracted"] ?? 0) > 0, "\(report)")
    }
}
