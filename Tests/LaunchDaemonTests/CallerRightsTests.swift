import ContainerEngine
import Foundation
import GSSACore
import GSSATestSupport
import LaunchClient
import LaunchDaemon
import LaunchProtocol
import Testing

import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The daemon runs as root but reads inputs and writes outputs only with its caller's rights.
/// The caller here is a real second uid (65534, via `setpriv`), connected through the socket
/// group `nogroup` (gid 65534), against the real dockerd.
@Suite("Daemon acts with the caller's rights (real second uid)", .serialized, .requiresDockerEngine,
       .requiresImages(DockerFixture.image))
struct CallerRightsTests {
    static let nobody: UInt32 = 65534

    /// One START as uid 65534; returns the reply line and, when it started, the exit event line.
    static func startAsNobody(
        _ socket: String, _ arguments: StartArguments, groups: [UInt32] = [nobody], timeout: Int = 120
    ) async throws
        -> (reply: String, exit: String?)
    {
        let frame = String(buffer: try LaunchWire.frame(LaunchRequest(.start, arguments)))
        let script = """
            import json, socket, sys
            s = socket.socket(socket.AF_UNIX); s.settimeout(int(sys.argv[3])); s.connect(sys.argv[1]); f = s.makefile("rwb")
            f.write(sys.argv[2].encode()); f.flush()
            reply = f.readline().decode().strip(); print(reply, flush=True)
            if json.loads(reply).get("success"):
                while True:
                    line = f.readline().decode()
                    if not line: break
                    if json.loads(line).get("event") == "exit": print(line.strip(), flush=True); break
            """
        let result = try await CapturedProcess.run(URL(fileURLWithPath: "/usr/bin/setpriv"), [
            "--reuid=\(nobody)", "--regid=\(nobody)", "--groups=" + groups.map(String.init).joined(separator: ","), "--", "/usr/bin/python3", "-c", script, socket, frame, String(timeout),
        ])
        guard result.status == 0 else { throw GSSAError.server("client as uid 65534 failed: \(result.stderrText)") }
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        return (lines.first ?? "", lines.count > 1 ? lines[1] : nil)
    }

    static func directory(_ url: URL, mode: mode_t, owner: UInt32 = 0) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        chown(url.path, owner, owner)
        chmod(url.path, mode)
    }

    @Test func unprivilegedCallerGetsOnlyWhatItMayReadAndWrite() async throws {
        try await withDockerDaemon(group: "nogroup") { engine, image, daemon in
            let root = daemon.scratch.root
            chmod((daemon.socket as NSString).deletingLastPathComponent, 0o755)
            // Root's secrets: a 0700 directory holding a 0600 file, and root's 0700 / 0777 directories.
            try Self.directory(root.appendingPathComponent("secret"), mode: 0o700)
            try "TOPSECRET\n".write(to: root.appendingPathComponent("secret/job.sh"), atomically: true, encoding: .utf8)
            chmod(root.appendingPathComponent("secret/job.sh").path, 0o600)
            try Self.directory(root.appendingPathComponent("rootout"), mode: 0o700)
            try Self.directory(root.appendingPathComponent("shared"), mode: 0o777)
            // The caller's own place.
            let home = root.appendingPathComponent("nobody")
            try Self.directory(home, mode: 0o755, owner: Self.nobody)
            try Self.directory(home.appendingPathComponent("in"), mode: 0o755, owner: Self.nobody)
            try "cat /shared/input/data.txt > copy.txt\necho ok > done.txt\n".write(
                to: home.appendingPathComponent("in/job.sh"), atomically: true, encoding: .utf8)
            try "mine\n".write(to: home.appendingPathComponent("in/data.txt"), atomically: true, encoding: .utf8)
            chown(home.appendingPathComponent("in/job.sh").path, Self.nobody, Self.nobody)
            chown(home.appendingPathComponent("in/data.txt").path, Self.nobody, Self.nobody)
            try FileManager.default.createSymbolicLink(
                atPath: home.appendingPathComponent("link").path, withDestinationPath: root.appendingPathComponent("secret").path)
            try "x".write(to: home.appendingPathComponent("file.txt"), atomically: true, encoding: .utf8)
            func arguments(_ guid: String, input: URL, output: URL) -> StartArguments {
                StartArguments(guid: guid, image: image, input: input.path, output: output.path)
            }
            let mine = home.appendingPathComponent("in")

            // 1. Root-only input, directly or through a link the caller made: refused, no container.
            for (guid, input) in [("steal", root.appendingPathComponent("secret")), ("steal-link", home.appendingPathComponent("link"))] {
                let (reply, _) = try await Self.startAsNobody(daemon.socket, arguments(guid, input: input, output: home.appendingPathComponent(guid)))
                #expect(reply.contains("\"success\":false") && reply.contains("not readable by uid 65534"), "\(reply)")
                #expect(try await engine.listContainers(labels: [LaunchDaemon.Label.guid: guid], all: true).isEmpty)
                #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent(guid).path), "no output left")
            }
            // 2. Root's existing directories as "output": refused.
            let (rootReply, _) = try await Self.startAsNobody(daemon.socket, arguments("take", input: mine, output: root.appendingPathComponent("rootout")))
            #expect(rootReply.contains("\"success\":false") && rootReply.contains("output"), "\(rootReply)")
            let (sharedReply, _) = try await Self.startAsNobody(daemon.socket, arguments("take2", input: mine, output: root.appendingPathComponent("shared")))
            #expect(sharedReply.contains("belongs to uid 0, not to uid 65534"), "\(sharedReply)")
            // 3. An output beneath a regular file: refused up front, naming the field.
            let (fileReply, _) = try await Self.startAsNobody(
                daemon.socket, arguments("under", input: mine, output: home.appendingPathComponent("file.txt/out")))
            #expect(fileReply.contains("START: output") && fileReply.contains("is a file, not a directory"), "\(fileReply)")
            // 4. The caller's own input and a new output: runs end to end, and the output is the caller's.
            let output = home.appendingPathComponent("out")
            let (reply, exit) = try await Self.startAsNobody(daemon.socket, arguments("ok", input: mine, output: output))
            #expect(reply.contains("\"success\":true"), "\(reply)")
            #expect(exit?.contains("\"exit_code\":0") == true && exit?.contains("\"output_collected\":true") == true, "\(exit ?? "no exit")")
            #expect(daemon.scratch.read("nobody/out/run/copy.txt") == "mine\n")
            for path in ["", "run", "run/copy.txt", "logs/exit_status"] {
                var info = stat()
                #expect(lstat(output.appendingPathComponent(path).path, &info) == 0 && info.st_uid == Self.nobody, "\(path) owned by \(info.st_uid)")
            }
            #expect(!tree(output).contains { $0.contains(".gssa-collect") }, "no staging directory is left")
            // 5. Supplementary groups count (SO_PEERGROUPS, applied per thread): a root:4242 0750
            // input is readable by a caller in group 4242 and by no other.
            try Self.directory(root.appendingPathComponent("team"), mode: 0o750)
            chown(root.appendingPathComponent("team").path, 0, 4242)
            try "echo team > team.txt\n".write(to: root.appendingPathComponent("team/job.sh"), atomically: true, encoding: .utf8)
            chown(root.appendingPathComponent("team/job.sh").path, 0, 4242)
            chmod(root.appendingPathComponent("team/job.sh").path, 0o640)
            let team = arguments("team", input: root.appendingPathComponent("team"), output: home.appendingPathComponent("team-out"))
            let (outsider, _) = try await Self.startAsNobody(daemon.socket, team)
            #expect(outsider.contains("not readable by uid 65534"), "\(outsider)")
            let (member, memberExit) = try await Self.startAsNobody(daemon.socket, team, groups: [Self.nobody, 4242])
            #expect(member.contains("\"success\":true"), "\(member)")
            #expect(memberExit?.contains("\"output_collected\":true") == true, "\(memberExit ?? "no exit")")
            #expect(daemon.scratch.read("nobody/team-out/run/team.txt") == "team\n")
            #expect(!(tree(root).joined(separator: "\n").contains("TOPSECRET")))
        }
    }
}
