import Foundation
import GSSACore
import Testing

@testable import ContainerEngine

/// The swarm executor stages a run's input as the tar's owner: the uid and gid come from the
/// first ustar header, whichever way its writer padded the octal fields.
@Suite("Swarm input staging")
struct SwarmStagingTests {
    /// A 512-byte header with `uid` and `gid` written as the given 8-byte fields.
    func header(uid: String, gid: String) -> Data {
        var block = Data(count: 512)
        block.replaceSubrange(108..<116, with: Array(uid.utf8))
        block.replaceSubrange(116..<124, with: Array(gid.utf8))
        return block
    }

    @Test("zero-padded, space-padded and short headers")
    func ownerOfFirstMember() {
        let plain = SwarmEngine.owner(ofFirstMember: header(uid: "0001750\0", gid: "0001751\0"))
        #expect(plain.0 == 1000 && plain.1 == 1001)
        let spaced = SwarmEngine.owner(ofFirstMember: header(uid: "  01750\0", gid: "   1751 "))
        #expect(spaced.0 == 1000 && spaced.1 == 1001)
        let short = SwarmEngine.owner(ofFirstMember: Data(count: 100))
        #expect(short.0 == 0 && short.1 == 0)
    }

    @Test("an input tar with anything but shared/input is refused, and nothing is left staged")
    func stagingRefusesOtherMembers() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-swarm-stage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // A tar of `etc/passwd`: not the run's input.
        let source = directory.appendingPathComponent("src/etc")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: source.appendingPathComponent("passwd"))
        let tarFile = directory.appendingPathComponent("in.tar")
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-cf", tarFile.path, "-C", directory.appendingPathComponent("src").path, "etc"]
        try tar.run()
        tar.waitUntilExit()
        #expect(tar.terminationStatus == 0)
        let run = directory.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        #expect(throws: GSSAError.self) {
            try SwarmEngine.stageInput(try Data(contentsOf: tarFile), path: "/", directory: run.path)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: run.path).isEmpty)
    }
}
