import GSSAWire
import Testing

@testable import ContainerModule

@Suite struct ArchivePlanTests {
    func plan(_ members: [ArchiveMember]) -> RunnerFailure? {
        do { _ = try ArchivePlan(members); return nil } catch { return error }
    }

    @Test func ordinaryArchiveIsAccepted() throws {
        let accepted = try ArchivePlan([
            .init(name: "./", kind: .directory),
            .init(name: "./start.py", kind: .file),
            .init(name: "lib/", kind: .directory),
            .init(name: "lib/util.py", kind: .file),
            .init(name: "lib/current", kind: .symlink("../start.py")),
            .init(name: "copy.py", kind: .hardlink("./start.py")),
        ])
        #expect(accepted.members.map { $0.components.joined(separator: "/") } == ["start.py", "lib", "lib/util.py", "lib/current", "copy.py"])
    }

    @Test(arguments: [
        ("../evil", "contains '..'"),
        ("a/../../evil", "contains '..'"),
        ("/etc/passwd", "absolute path"),
    ])
    func traversalIsRefused(path: String, why: String) {
        let failure = plan([.init(name: "start.py", kind: .file), .init(name: path, kind: .file)])
        #expect(failure?.code == .client)
        #expect(failure?.message.contains(why) == true)
        #expect(failure?.message.contains(path) == true)
    }

    @Test func symlinkEscapesAreRefused() {
        #expect(plan([.init(name: "l", kind: .symlink("/etc"))])?.message.contains("absolute") == true)
        #expect(plan([.init(name: "a/l", kind: .symlink("../.."))])?.message.contains("points outside") == true)
        // Each link alone stays inside, but through one another they escape.
        let chained = plan([
            .init(name: "d/", kind: .directory),
            .init(name: "d/up", kind: .symlink("..")),
            .init(name: "x", kind: .symlink("d/up/..")),
        ])
        #expect(chained?.message.contains("'x'") == true)
        #expect(plan([.init(name: "a", kind: .symlink("b")), .init(name: "b", kind: .symlink("a"))]) != nil)
    }

    @Test func membersBeneathSymlinksAreRefused() {
        let failure = plan([.init(name: "l", kind: .symlink("sub")), .init(name: "sub/", kind: .directory),
                            .init(name: "l/file", kind: .file)])
        #expect(failure?.message.contains("beneath the symlink 'l'") == true)
    }

    @Test func badHardlinksSpecialsAndDuplicatesAreRefused() {
        #expect(plan([.init(name: "h", kind: .hardlink("/etc/shadow"))]) != nil)
        #expect(plan([.init(name: "h", kind: .hardlink("later")), .init(name: "later", kind: .file)]) != nil)
        #expect(plan([.init(name: "p", kind: .special("FIFO"))])?.message.contains("FIFO") == true)
        #expect(plan([.init(name: "f", kind: .file), .init(name: "./f", kind: .file)])?.message.contains("twice") == true)
        #expect(plan([.init(name: "d/", kind: .directory), .init(name: "d", kind: .directory)]) == nil)
    }
}
