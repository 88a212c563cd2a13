import Foundation
import GSSATestSupport
import GSSAWire
import Testing

@testable import ContainerModule

@Suite struct StartArchiveExtractorTests {
    @Test func extractsFilesDirectoriesLinksAndModes() throws {
        let root = try SharedRoot()
        let archive = root.path + "/input/start.tar.gz"
        try TarBuilder.write([
            .directory("./"),
            .file("./start.py", "print('hi')\n", mode: 0o755),
            .directory("lib"),
            .file("lib/data.txt", "data"),
            .symlink("lib/start", to: "../start.py"),
            .hardlink("again.py", to: "start.py"),
        ], to: archive)
        try FileManager.default.createDirectory(atPath: root.path + "/run", withIntermediateDirectories: true)
        try StartArchiveExtractor(archivePath: archive).extract(into: root.path + "/run")

        #expect(try root.read("run/start.py") == "print('hi')\n")
        #expect(try root.read("run/lib/data.txt") == "data")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root.path + "/run/lib/start") == "../start.py")
        #expect(try root.read("run/again.py") == "print('hi')\n")
        let mode = try FileManager.default.attributesOfItem(atPath: root.path + "/run/start.py")[.posixPermissions] as? Int
        #expect(mode == 0o755)
    }

    @Test(arguments: ["../escape.txt", "/tmp/gssa-abs-escape.txt", "a/../../escape.txt"])
    func traversalRejectsWholeArchive(name: String) throws {
        let root = try SharedRoot()
        let archive = root.path + "/input/start.tar.gz"
        // The good member comes first: nothing at all may be written.
        try TarBuilder.write([.file("start.py", "ok"), .file(name, "pwned")], to: archive)
        try FileManager.default.createDirectory(atPath: root.path + "/run", withIntermediateDirectories: true)
        #expect {
            try StartArchiveExtractor(archivePath: archive).extract(into: root.path + "/run")
        } throws: { ($0 as? RunnerFailure)?.code == .client }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path + "/run").isEmpty)
        #expect(!root.exists("escape.txt"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/gssa-abs-escape.txt"))
    }

    /// The shared hostile-archive table (GSSATestSupport), run against the runner's back end of
    /// the extraction policy; GSSATests runs the same table against GSSAArchive's.
    @Test(.requiresTool("python3"), arguments: HostileArchive.all)
    func hostileArchiveRejectsWholeArchive(_ hostile: HostileArchive) throws {
        let root = try SharedRoot()
        let archive = root.path + "/input/start.tar.gz"
        try hostile.write(to: archive)
        try FileManager.default.createDirectory(atPath: root.path + "/run", withIntermediateDirectories: true)
        #expect {
            try StartArchiveExtractor(archivePath: archive).extract(into: root.path + "/run")
        } throws: { error in
            guard let failure = error as? RunnerFailure else { return false }
            return failure.code == .client && failure.message.hasPrefix("start archive rejected: ")
                && failure.message.contains(hostile.reason)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path + "/run").isEmpty)
        #expect(!root.exists("escape.txt") && !root.exists("output/escape.txt"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/gssa-absolute-escape.txt"))
    }

    @Test func symlinkEscapeThenWriteThroughItIsRejected() throws {
        let root = try SharedRoot()
        let archive = root.path + "/input/start.tar.gz"
        try TarBuilder.write([.symlink("out", to: "../.."), .file("out/evil", "x")], to: archive)
        try FileManager.default.createDirectory(atPath: root.path + "/run", withIntermediateDirectories: true)
        #expect(throws: RunnerFailure.self) {
            try StartArchiveExtractor(archivePath: archive).extract(into: root.path + "/run")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path + "/run").isEmpty)
    }

    @Test func missingOrGarbageArchivesAreClientErrors() throws {
        let root = try SharedRoot()
        #expect {
            try StartArchiveExtractor(archivePath: root.path + "/input/none.tar.gz").plan()
        } throws: { ($0 as? RunnerFailure)?.message.contains("missing") == true }
        try root.write("input/start.tar.gz", "this is not a tarball")
        #expect {
            try StartArchiveExtractor(archivePath: root.path + "/input/start.tar.gz").plan()
        } throws: { ($0 as? RunnerFailure)?.code == .client }
    }
}

@Suite struct StartArchiveLimitsTests {
    /// The limits half of the policy: counted on the headers, before anything is written.
    @Test func entryAndSizeLimitsRejectTheWholeArchive() throws {
        let root = try SharedRoot()
        let archive = root.path + "/input/start.tar.gz"
        try TarBuilder.write([.file("start.py", "ok"), .file("a.txt", "0123456789"), .file("b.txt", "0123456789")], to: archive)
        try FileManager.default.createDirectory(atPath: root.path + "/run", withIntermediateDirectories: true)
        let entries = ArchiveLimits(maximumEntries: 2, maximumExpandedBytes: 1 << 20)
        #expect {
            try StartArchiveExtractor(archivePath: archive, limits: entries).extract(into: root.path + "/run")
        } throws: { ($0 as? RunnerFailure)?.message == "start archive rejected: it holds more than 2 entries (the maximum entry count)" }
        let bytes = ArchiveLimits(maximumEntries: 10, maximumExpandedBytes: 15)
        #expect {
            try StartArchiveExtractor(archivePath: archive, limits: bytes).extract(into: root.path + "/run")
        } throws: { ($0 as? RunnerFailure)?.message.contains("expands beyond 15 bytes") == true }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path + "/run").isEmpty)
        // Within the limits, the same archive extracts.
        let enough = ArchiveLimits(maximumEntries: 3, maximumExpandedBytes: 22)
        try StartArchiveExtractor(archivePath: archive, limits: enough).extract(into: root.path + "/run")
        #expect(try root.read("run/b.txt") == "0123456789")
    }
}
