import Foundation

/// Seed inputs for a campaign: real documents from the repository, so mutants start valid.
public enum FuzzCorpus {
    /// Every file under `directories` whose name ends in one of `suffixes`, sorted by path (so the
    /// corpus, and therefore each case, is the same on every machine). Unreadable entries are skipped.
    public static func files(under directories: [URL], suffixes: [String]) -> [[UInt8]] {
        var paths: [String] = []
        for directory in directories {
            guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walker where suffixes.contains(where: { url.lastPathComponent.hasSuffix($0) }) {
                paths.append(url.path)
            }
        }
        return paths.sorted().compactMap { FileManager.default.contents(atPath: $0).map { Array($0) } }
    }

    /// The repository root, from a test file's `#filePath` (`Tests/<Target>/<File>.swift`).
    public static func repositoryRoot(fromTestFile path: String) -> URL {
        URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
