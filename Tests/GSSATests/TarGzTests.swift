import Foundation
import GSSATestSupport
import Testing
@testable import GSSA
@testable import GSSAArchive

@Suite struct TarGzTests {
    let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-tar-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    @Test func roundTrip() throws {
        let archive = directory.appendingPathComponent("a.tar.gz")
        let writer = try TarGzWriter(url: archive)
        try writer.add("run", .directory())
        try writer.add("run/start.py", .file(Data("print(1)\n".utf8)))
        try writer.add("run/tool.sh", .file(Data("#!/bin/sh\n".utf8), mode: 0o755))
        try writer.add("run/link", .symlink(target: "start.py"))
        try writer.finish()
        let members = try TarGzReader.members(of: archive)
        #expect(members.map(\.name) == ["run", "run/start.py", "run/tool.sh", "run/link"])
        let out = directory.appendingPathComponent("out")
        try TarGzReader.extract(archive, into: out)
        #expect(try String(contentsOf: out.appendingPathComponent("run/start.py"), encoding: .utf8) == "print(1)\n")
        #expect(FileManager.default.isExecutableFile(atPath: out.appendingPathComponent("run/tool.sh").path))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out.appendingPathComponent("run/link").path) == "start.py")
    }

    @Test func writerRefusesUnsafeNames() throws {
        let writer = try TarGzWriter(url: directory.appendingPathComponent("b.tar.gz"))
        #expect(throws: GSSAError.self) { try writer.add("../evil", .file(Data())) }
        #expect(throws: GSSAError.self) { try writer.add("/etc/evil", .file(Data())) }
    }

    /// The shared hostile-archive table (GSSATestSupport), run against this back end of the
    /// extraction policy; ContainerModuleTests runs the same table against the runner's.
    @Test(.requiresTool("python3"), arguments: HostileArchive.all)
    func hostileArchiveIsRefusedAndNothingIsExtracted(_ hostile: HostileArchive) throws {
        let archive = directory.appendingPathComponent(hostile.name)
        try hostile.write(to: archive.path)
        let out = directory.appendingPathComponent("out-\(hostile.name)")
        do {
            try TarGzReader.extract(archive, into: out)
            Issue.record("\(hostile.name) was extracted")
        } catch {
            #expect(error.code == .client)
            #expect(error.message.contains(hostile.reason), "\(error.message)")
            #expect(error.message.contains(hostile.name))
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("ok.txt").path))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("escape.txt").path))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/gssa-absolute-escape.txt"))
    }

    @Test func corruptArchiveIsAClientError() throws {
        let archive = directory.appendingPathComponent("junk.tar.gz")
        try Data("this is not a tarball".utf8).write(to: archive)
        #expect(throws: GSSAError.self) { try TarGzReader.extract(archive, into: directory.appendingPathComponent("j")) }
    }
}
