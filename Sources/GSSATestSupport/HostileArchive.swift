import Foundation

/// The hostile tar.gz archives that every extractor of untrusted tars must refuse, as one table.
///
/// Both back ends of GSSAWire's extraction policy run these same cases: GSSAArchive (uploads and
/// container outputs) in GSSATests, the runner's start-archive extractor in ContainerModuleTests.
/// Each case has a good member first, so "nothing was written" is observable, and names the
/// words its refusal must contain (the policy's, identical for both back ends).
///
/// The archives are written with Python's `tarfile`, which stores any name or link it is given
/// (our own writers refuse to), so tests using them declare `.requiresTool("python3")`.
public struct HostileArchive: Sendable, CustomStringConvertible {
    /// A file name for the archive, also the case's name.
    public var name: String
    /// Python statements calling `add(name, data=b"x", kind=None, target=None)`; kind is
    /// `sym`, `lnk` or `chr`.
    public var members: String
    /// What the refusal message must contain.
    public var reason: String

    public var description: String { name }

    /// Every case. An escape writes `escape.txt` next to (or above) the extraction directory, or
    /// `/tmp/gssa-absolute-escape.txt`: tests check that neither exists afterwards.
    public static let all: [HostileArchive] = [
        HostileArchive(name: "dotdot.tar.gz", members: "add('ok.txt'); add('../escape.txt')", reason: "contains '..'"),
        HostileArchive(name: "deep-dotdot.tar.gz", members: "add('ok.txt'); add('a/../../escape.txt')", reason: "contains '..'"),
        HostileArchive(
            name: "absolute.tar.gz", members: "add('ok.txt'); add('/tmp/gssa-absolute-escape.txt')", reason: "absolute path"),
        HostileArchive(
            name: "symlink.tar.gz", members: "add('ok.txt'); add('link', kind='sym', target='../../etc'); add('link/passwd')",
            reason: "points outside"),
        HostileArchive(name: "abssymlink.tar.gz", members: "add('ok.txt'); add('link', kind='sym', target='/etc')", reason: "points outside"),
        // Each link alone stays inside; followed as a chain, s2 climbs above the root.
        HostileArchive(
            name: "chain.tar.gz", members: "add('ok.txt'); add('s1', kind='sym', target='.'); add('d/s2', kind='sym', target='../s1/..')",
            reason: "points outside"),
        HostileArchive(name: "loop.tar.gz", members: "add('ok.txt'); add('a', kind='sym', target='b'); add('b', kind='sym', target='a')",
            reason: "points outside"),
        HostileArchive(
            name: "beneath.tar.gz", members: "add('ok.txt'); add('sub/x'); add('l', kind='sym', target='sub'); add('l/escape.txt')",
            reason: "beneath the symlink"),
        HostileArchive(name: "hardlink.tar.gz", members: "add('ok.txt'); add('h', kind='lnk', target='../escape.txt')", reason: "points outside"),
        HostileArchive(
            name: "abshardlink.tar.gz", members: "add('ok.txt'); add('h', kind='lnk', target='/etc/passwd')", reason: "points outside"),
        HostileArchive(
            name: "linkviasymlink.tar.gz", members: "add('ok.txt'); add('l', kind='sym', target='.'); add('h', kind='lnk', target='l/ok.txt')",
            reason: "through a symlink"),
        HostileArchive(
            name: "laterhardlink.tar.gz", members: "add('ok.txt'); add('h', kind='lnk', target='later.txt'); add('later.txt')",
            reason: "not to an earlier file"),
        HostileArchive(name: "device.tar.gz", members: "add('ok.txt'); add('null', kind='chr')", reason: "device"),
        HostileArchive(
            name: "twice.tar.gz", members: "add('ok.txt'); add('x.txt'); add('x.txt', kind='sym', target='ok.txt')", reason: "appears twice"),
    ]

    /// Writes this archive to `path` (gzip-compressed tar).
    public func write(to path: String) throws {
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
            \(members)
            t.close()
            """, path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "python3 could not write \(name)"])
        }
    }
}
