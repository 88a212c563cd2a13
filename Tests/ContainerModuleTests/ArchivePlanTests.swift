import GSSAWire
import Testing

@testable import ContainerModule

@Suite struct ArchivePlanTests {
    func plan(_ members: [ArchiveMember]) -> RunnerFailure? {
        do { _ = try ArchivePlan(members); return nil } catch { return error }
    }

    @Test func ordinaryArchiveIsAccepted() throws {
        let accepted = try ArchivePlan([
            .init(path: "./", kind: .directory),
            .init(path: "./start.py", kind: .file),
            .init(path: "lib/", kind: .directory),
            .init(path: "lib/util.py", kind: .file),
            .init(path: "lib/current", kind: .symlink("../start.py")),
            .init(path: "copy.py", kind: .hardlink("./start.py")),
        ])
        #expect(accepted.members.map { $0.components.joined(separator: "/") } == ["start.py", "lib", "lib/util.py", "lib/current", "copy.py"])
    }

    @Test(arguments: [
        ("../evil", "contains '..'"),
        ("a/../../evil", "contains '..'"),
        ("/etc/passwd", "absolute path"),
    ])
    func traversalIsRefused(path: String, why: String) {
        let failure = plan([.init(path: "start.py", kind: .file), .init(path: path, kind: .file)])
        #expect(failure?.code == .client)
        #expect(failure?.message.contains(why) == true)
        #expect(failure?.message.contains(path) == true)
    }

    @Test func symlinkEscapesAreRefused() {
        #expect(plan([.init(path: "l", kind: .symlink("/etc"))])?.message.contains("absolute") == true)
        #expect(plan([.init(path: "a/l", kind: .symlink("../.."))])?.message.contains("leaves the run directory") == true)
        // Each link alone stays inside, but through one another they escape.
        let chained = plan([
            .init(path: "d/", kind: .directory),
            .init(path: "d/up", kind: .symlink("..")),
            .init(path: "x", kind: .symlink("d/up/..")),
        ])
        #expect(chained?.message.contains("'x'") == true)
        #expect(plan([.init(path: "a", kind: .symlink("b")), .init(path: "b", kind: .symlink("a"))]) != nil)
    }

    @Test func membersBeneathSymlinksAreRefused() {
        let failure = plan([.init(path: "l", kind: .symlink("sub")), .init(path: "sub/", kind: .directory),
                            .init(path: "l/file", kind: .file)])
        #expect(failure?.message.contains("beneath the symlink 'l'") == true)
    }

    @Test func badHardlinksSpecialsAndDuplicatesAreRefused() {
        #expect(plan([.init(path: "h", kind: .hardlink("/etc/shadow"))]) != nil)
        #expect(plan([.init(path: "h", kind: .hardlink("later")), .init(path: "later", kind: .file)]) != nil)
        #expect(plan([.init(path: "p", kind: .special("FIFO"))])?.message.contains("FIFO") == true)
        #expect(plan([.init(path: "f", kind: .file), .init(path: "./f", kind: .file)])?.message.contains("twice") == true)
        #expect(plan([.init(path: "d/", kind: .directory), .init(path: "d", kind: .directory)]) == nil)
    }
}
