import GSSAWire
import Testing

/// The policy itself; both back ends also run GSSATestSupport's hostile-archive table against it.
@Suite struct ArchivePolicyTests {
    private func file(_ name: String) -> ArchiveMember { ArchiveMember(name: name, kind: .file) }
    private func directory(_ name: String) -> ArchiveMember { ArchiveMember(name: name, kind: .directory) }

    @Test func containerOutputsAreReadWithTheirFirstComponentStripped() {
        let members = [
            directory("output.final/"), file("output.final/a"), directory("output.final/d/"),
            ArchiveMember(name: "output.final/d/l", kind: .symlink("../a")),
            ArchiveMember(name: "output.final/h", kind: .hardlink("output.final/a")),
        ]
        #expect(ArchivePolicy.refusal(for: members, stripComponents: 1) == nil)
        // One level more climbs out of the stripped root.
        let escaping = members + [ArchiveMember(name: "output.final/d/up", kind: .symlink("../.."))]
        #expect(ArchivePolicy.refusal(for: escaping, stripComponents: 1)?.contains("points outside") == true)
    }

    @Test func theRootMayRepeatButNotBeAFile() {
        #expect(ArchivePolicy.refusal(for: [directory("./"), directory("."), file("a")]) == nil)
        #expect(ArchivePolicy.refusal(for: [file("./")])?.contains("empty name") == true)
        #expect(ArchivePolicy.refusal(for: [file("a\0b")])?.contains("contains '..'") == true)
        #expect(ArchivePolicy.refusal(for: [file("\\etc\\passwd")])?.contains("absolute path") == true)
    }

    /// Streaming extraction knows only what came before; without `earlier` it leaves a missing
    /// hard-link target to the disk writer, and whole-archive checking refuses it up front.
    @Test func hardLinksToLaterMembers() {
        let link = ArchiveMember(name: "h", kind: .hardlink("later"))
        #expect(ArchivePolicy.refusal(for: link, stripComponents: 0, links: [:]) == nil)
        #expect(ArchivePolicy.refusal(for: link, stripComponents: 0, links: [:], earlier: [:])?.contains("earlier file") == true)
        #expect(ArchivePolicy.refusal(for: [link, file("later")])?.contains("earlier file") == true)
        #expect(ArchivePolicy.refusal(for: [directory("d"), ArchiveMember(name: "h", kind: .hardlink("d"))]) != nil)
    }

    @Test func symlinkLoopsCountAsEscapes() {
        #expect(ArchivePolicy.resolveEscapes(from: [], through: "a", links: ["a": "b", "b": "a"]))
        #expect(!ArchivePolicy.resolveEscapes(from: ["d"], through: "../x", links: [:]))
        #expect(ArchivePolicy.resolveEscapes(from: ["d"], through: "../../x", links: [:]))
    }

    @Test func limitsSayWhichAndHowMuch() {
        #expect(ArchiveLimits.Exceeded.entries(limit: 5).reason == "holds more than 5 entries (the maximum entry count)")
        #expect(ArchiveLimits.startArchive.maximumExpandedBytes == 2 << 30)
    }
}
