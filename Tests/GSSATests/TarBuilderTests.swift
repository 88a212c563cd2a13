import Foundation
import Testing
@testable import GSSA
@testable import GSSAArchive

/// Uncompressed tars with ownership (what the daemon stages into containers), reading them
/// back, and the safe extraction of container outputs with `stripComponents`.
@Suite struct TarBuilderTests {
    let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-tarb-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Lists a tar with Python's tarfile: an independent reader, not our own libarchive code.
    private func pythonListing(_ tar: URL) throws -> [String] {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import tarfile, sys
            for m in tarfile.open(sys.argv[1]):
                kind = "d" if m.isdir() else "l" if m.issym() else "f"
                print(m.name, kind, m.uid, m.gid, oct(m.mode), m.size, m.linkname)
            """, tar.path]
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func builtTarsCarryOwnerModeAndContent() throws {
        let host = directory.appendingPathComponent("runner")
        try Data("#!/bin/sh\necho hi\n".utf8).write(to: host)
        let tar = directory.appendingPathComponent("owned.tar")
        try TarBuilder.write(
            [
                TarEntry(path: "shared", content: .directory, mode: 0o755, uid: 1234, gid: 5678),
                TarEntry(path: "shared/a.txt", content: .data(Data("alpha".utf8)), mode: 0o640, uid: 1234, gid: 5678),
                TarEntry(path: "shared/run.sh", content: .file(host), mode: 0o4755, uid: 42, gid: 43),
                TarEntry(path: "shared/latest", content: .symlink(target: "a.txt"), mode: 0o777, uid: 1234, gid: 5678),
            ], to: tar)
        #expect(
            try pythonListing(tar) == [
                "shared d 1234 5678 0o755 0 ",
                "shared/a.txt f 1234 5678 0o640 5 ",
                "shared/run.sh f 42 43 0o4755 18 ",
                "shared/latest l 1234 5678 0o777 0 a.txt",
            ])
        let inMemory = try TarBuilder.build([
            TarEntry(path: "x/one", content: .data(Data("1".utf8)), mode: 0o600),
            TarEntry(path: "x/dir", content: .directory, mode: 0o755),
            TarEntry(path: "x/two", content: .file(host), mode: 0o755),
        ])
        let files = try TarReader.readAll(inMemory)
        #expect(files.map(\.path) == ["x/one", "x/two"])
        #expect(files.map(\.data) == [Data("1".utf8), Data("#!/bin/sh\necho hi\n".utf8)])
        #expect(files.map(\.mode) == [0o600, 0o755])
    }

    @Test func readFileFindsAMemberByItsLastComponents() throws {
        let tar = directory.appendingPathComponent("etc.tar")
        try TarBuilder.write(
            [
                TarEntry(path: "etc", content: .directory, mode: 0o755),
                TarEntry(path: "etc/passwd", content: .data(Data("root:x:0:0::/root:/bin/sh\n".utf8)), mode: 0o644),
                TarEntry(path: "big", content: .data(Data(repeating: 65, count: 300_000)), mode: 0o644),
            ], to: tar)
        #expect(try TarReader.readFile(named: "passwd", in: tar) == Data("root:x:0:0::/root:/bin/sh\n".utf8))
        #expect(try TarReader.readFile(named: "shadow", in: tar) == nil)
        let bounded = try #require(try TarReader.readFile(named: "big", in: tar, maxBytes: 1000))
        #expect(bounded.count < 300_000)
        #expect(bounded.count > 1000)
    }

    @Test func directoryEntriesKeepLinksSkipFifosAndSetTheOwner() throws {
        let input = directory.appendingPathComponent("input")
        try FileManager.default.createDirectory(at: input.appendingPathComponent("mesh"), withIntermediateDirectories: true)
        try Data("m".utf8).write(to: input.appendingPathComponent("mesh/input.msh"))
        try FileManager.default.createSymbolicLink(
            atPath: input.appendingPathComponent("current").path, withDestinationPath: "mesh")
        #expect(mkfifo(input.appendingPathComponent("pipe").path, 0o644) == 0)
        let entries = try TarBuilder.entries(ofDirectory: input, prefix: "shared/input", uid: 7, gid: 8)
        #expect(entries.map(\.path) == ["shared/input", "shared/input/current", "shared/input/mesh", "shared/input/mesh/input.msh"])
        #expect(entries.allSatisfy { $0.uid == 7 && $0.gid == 8 })
        #expect(entries[1].content == .symlink(target: "mesh"))
        guard case .file(let source) = entries[3].content else {
            Issue.record("input.msh is not staged as a host file: \(entries[3].content)")
            return
        }
        #expect(source.path == input.appendingPathComponent("mesh/input.msh").path)
        #expect(entries[3].mode & 0o600 == 0o600)
    }

    private func outputTar(_ name: String) throws -> URL {
        let tar = directory.appendingPathComponent(name)
        try TarBuilder.write(
            [
                TarEntry(path: "out", content: .directory, mode: 0o755),
                TarEntry(path: "out/run", content: .directory, mode: 0o755),
                TarEntry(path: "out/run/x.txt", content: .data(Data("x".utf8)), mode: 0o644),
                TarEntry(path: "out/y.txt", content: .data(Data("y".utf8)), mode: 0o644),
            ], to: tar)
        return tar
    }

    @Test(arguments: [
        (0, ["out", "out/run", "out/run/x.txt", "out/y.txt"]),
        (1, ["run", "run/x.txt", "y.txt"]),
        (2, ["x.txt"]),
        (3, [String]()),
    ])
    func stripComponentsDropsLeadingDirectories(strip: Int, expected: [String]) throws {
        let tar = try outputTar("strip\(strip).tar")
        let dest = directory.appendingPathComponent("dest\(strip)")
        try FileManager.default.createDirectory(at: dest, withIntermediateDirectories: true)
        let paths = try TarExtractor.extractSafely(tar, into: dest, stripComponents: strip)
        #expect(paths == expected)
        for path in expected {
            #expect(FileManager.default.fileExists(atPath: dest.appendingPathComponent(path).path), "\(path)")
        }
        let top = try FileManager.default.contentsOfDirectory(atPath: dest.path).sorted()
        #expect(top == Array(Set(expected.map { String($0.split(separator: "/")[0]) })).sorted())
    }

    private func refuses(_ entries: [TarEntry], _ fragment: String) throws {
        let tar = directory.appendingPathComponent("hostile-\(UUID().uuidString).tar")
        try TarBuilder.write(entries, to: tar)
        let dest = directory.appendingPathComponent("dest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dest, withIntermediateDirectories: true)
        do {
            try TarExtractor.extractSafely(tar, into: dest, stripComponents: 1)
            Issue.record("extracted an archive that should be refused (\(fragment))")
        } catch {
            #expect(error.code == .server)
            #expect(error.message.contains(fragment), "\(error.message)")
            #expect(error.message.contains(tar.lastPathComponent))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dest.path).isEmpty, "nothing extracted")
    }

    @Test func symlinkChainsEscapingTheOutputAreRefused() throws {
        try refuses(
            [
                TarEntry(path: "out/ok.txt", content: .data(Data("fine".utf8)), mode: 0o644),
                TarEntry(path: "out/s1", content: .symlink(target: "."), mode: 0o777),
                TarEntry(path: "out/d/s2", content: .symlink(target: "../s1/.."), mode: 0o777),
            ], "points outside")
        // A loop never resolves; it is refused rather than followed forever.
        try refuses(
            [
                TarEntry(path: "out/a", content: .symlink(target: "b"), mode: 0o777),
                TarEntry(path: "out/b", content: .symlink(target: "a"), mode: 0o777),
            ], "points outside")
    }

    @Test func membersBeneathASymlinkAreRefused() throws {
        try refuses(
            [
                TarEntry(path: "out/sub", content: .directory, mode: 0o755),
                TarEntry(path: "out/l", content: .symlink(target: "sub"), mode: 0o777),
                TarEntry(path: "out/l/x.txt", content: .data(Data("x".utf8)), mode: 0o644),
            ], "beneath the symlink 'l'")
    }

    @Test func dotDotHiddenInTheStrippedPrefixIsRefused() throws {
        try refuses([TarEntry(path: "../out/x.txt", content: .data(Data("x".utf8)), mode: 0o644)], "contains '..'")
    }

    @Test func inwardSymlinkChainsAreExtracted() throws {
        let tar = directory.appendingPathComponent("inward.tar")
        try TarBuilder.write(
            [
                TarEntry(path: "out/run", content: .directory, mode: 0o755),
                TarEntry(path: "out/run/data.txt", content: .data(Data("d".utf8)), mode: 0o644),
                TarEntry(path: "out/current", content: .symlink(target: "run"), mode: 0o777),
                TarEntry(path: "out/latest", content: .symlink(target: "current/data.txt"), mode: 0o777),
            ], to: tar)
        let dest = directory.appendingPathComponent("inward")
        try FileManager.default.createDirectory(at: dest, withIntermediateDirectories: true)
        try TarExtractor.extractSafely(tar, into: dest, stripComponents: 1)
        #expect(try String(contentsOf: dest.appendingPathComponent("latest"), encoding: .utf8) == "d")
    }
}
