import Foundation
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

    /// Crafts a hostile archive with Python's tarfile, which writes any name it is given.
    private func hostile(_ name: String, _ script: String) throws -> URL {
        let archive = directory.appendingPathComponent(name)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import io, tarfile, sys
            t = tarfile.open(sys.argv[1], "w:gz")
            def add(name, data=b"x", kind=None, target=None):
                info = tarfile.TarInfo(name)
                if kind == "sym":
                    info.type = tarfile.SYMTYPE; info.linkname = target; t.addfile(info)
                elif kind == "lnk":
                    info.type = tarfile.LNKTYPE; info.linkname = target; t.addfile(info)
                elif kind == "chr":
                    info.type = tarfile.CHRTYPE; info.devmajor = 1; info.devminor = 3; t.addfile(info)
                else:
                    info.size = len(data); t.addfile(info, io.BytesIO(data))
            \(script)
            t.close()
            """, archive.path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return archive
    }

    @Test(arguments: [
        ("dotdot.tar.gz", "add('ok.txt'); add('../escape.txt')", "escapes"),
        ("absolute.tar.gz", "add('ok.txt'); add('/tmp/gssa-absolute-escape.txt')", "escapes"),
        ("symlink.tar.gz", "add('ok.txt'); add('link', kind='sym', target='../../etc'); add('link/passwd')", "points outside"),
        ("abssymlink.tar.gz", "add('link', kind='sym', target='/etc')", "points outside"),
        // Each link alone stays inside; followed as a chain, s2 climbs above the root.
        ("chain.tar.gz", "add('ok.txt'); add('s1', kind='sym', target='.'); add('d/s2', kind='sym', target='../s1/..')", "points outside"),
        ("beneath.tar.gz", "add('ok.txt'); add('sub/x'); add('l', kind='sym', target='sub'); add('l/escape.txt')", "beneath the symlink"),
        ("hardlink.tar.gz", "add('ok.txt'); add('h', kind='lnk', target='../escape.txt')", "points outside"),
        ("linkviasymlink.tar.gz", "add('ok.txt'); add('l', kind='sym', target='.'); add('h', kind='lnk', target='l/ok.txt')", "through a symlink"),
        ("device.tar.gz", "add('ok.txt'); add('null', kind='chr')", "device"),
    ])
    func traversalIsRefusedAndNothingIsExtracted(name: String, script: String, reason: String) throws {
        let archive = try hostile(name, script)
        let out = directory.appendingPathComponent("out-\(name)")
        do {
            try TarGzReader.extract(archive, into: out)
            Issue.record("\(name) was extracted")
        } catch {
            #expect(error.code == .client)
            #expect(error.message.contains(reason), "\(error.message)")
            #expect(error.message.contains(name))
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
