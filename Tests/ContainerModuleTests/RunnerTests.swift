import Foundation
import GSSAWire
import Testing

@testable import ContainerModule

/// The runner on the host, in-process, against a temporary directory standing in for /shared.
@Suite struct RunnerTests {
    /// Runs `script` as start.py (python3) and returns the exit code and the live stdout.
    func run(_ root: SharedRoot, script: String, extra: [TarBuilder.Entry] = [], options: RunnerOptions = RunnerOptions(),
             cgroup: String? = nil)
        throws -> (code: Int32, live: String, liveErr: String)
    {
        try TarBuilder.write([.file("start.py", script)] + extra, to: root.path + "/input/start.tar.gz")
        let liveOut = root.path + "/live.out", liveErr = root.path + "/live.err"
        let outFD = open(liveOut, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let errFD = open(liveErr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(outFD); close(errFD) }
        var runner = Runner(options: options, layout: root.layout, environment: ProcessInfo.processInfo.environment)
        runner.liveStdout = outFD
        runner.liveStderr = errFD
        // Never the host's own cgroup: a test stands one in, or points at a folder without one.
        runner.memory = MemoryCgroup(root: cgroup ?? root.path + "/no-cgroup")
        let code = runner.run()
        return (code, try root.read("live.out"), try root.read("live.err"))
    }

    static let statusScript = """
        import os, socket, sys
        s = socket.socket(socket.AF_UNIX)
        s.connect(os.environ["GSSA_STATUS_SOCKET"])
        print("reading", open("input/parameters.yml").read().strip())
        sys.stdout.flush()
        s.sendall(b"10.000000|Meshing\\n")
        s.sendall(b"|just a message\\n50|Sol")
        s.sendall(b"ving\\n")
        print("to stderr", file=sys.stderr)
        open("result.txt", "w").write("done")
        s.sendall(b"100|Finished")
        """

    @Test func successfulRunPublishesOutputLogsAndStatus() throws {
        let root = try SharedRoot()
        try root.write("input/parameters.yml", "A: [float, '1.5']")
        let result = try run(root, script: Self.statusScript)
        #expect(result.code == 0)
        #expect(try root.read("output.final/logs/exit_status") == "0\nOK")
        #expect(try root.read("output.final/run/result.txt") == "done")
        #expect(try root.read("output.final/run/input/parameters.yml") == "A: [float, '1.5']")
        #expect(try root.read("output.final/logs/job.out") == "reading A: [float, '1.5']\n")
        #expect(try root.read("output.final/logs/job.err") == "to stderr\n")
        #expect(!root.exists("output"))
        #expect(!root.exists("update.sock"))
        // Live: the child's lines and one marker line per status, in order.
        let statuses = result.live.split(separator: "\n").compactMap { StatusLine(rendered: $0) }
        #expect(statuses == [StatusLine(percentage: "10.000000", message: "Meshing"),
                             StatusLine(percentage: nil, message: "just a message"),
                             StatusLine(percentage: "50", message: "Solving"),
                             StatusLine(percentage: "100", message: "Finished")])
        #expect(result.live.contains("reading A: [float, '1.5']\n"))
        #expect(result.liveErr.contains("to stderr\n"))
    }

    @Test func theResultsFolderExistsBeforeTheModelStarts() throws {
        let root = try SharedRoot()
        let result = try run(root, script: "open('output/summary.json', 'w').write('{}')\n")
        #expect(result.code == 0, "\(result.liveErr)")
        #expect(try root.read("output.final/run/output/summary.json") == "{}")
    }

    @Test func anOutputMemberThatIsNoDirectoryIsRefused() throws {
        let root = try SharedRoot()
        let result = try run(root, script: "print('never')\n", extra: [.file("output", "not a folder")])
        #expect(result.code == 2)
        #expect(try root.read("output.final/logs/exit_status").contains("'output' is reserved"))
    }

    @Test func modelErrorUsesExitCodeAndErrorMessage() throws {
        let root = try SharedRoot()
        let result = try run(root, script: """
            import sys
            open("error_message", "w").write("Needle outside the organ")
            sys.exit(4)
            """)
        #expect(result.code == 4)
        #expect(try root.read("output.final/logs/exit_status") == "4\nError in script: Needle outside the organ")
    }

    /// The kernel's OOM killer, as the runner sees it: the cgroup's `oom_kill` count grows while
    /// the model dies of SIGKILL. A stand-in cgroup file is bumped by the script itself.
    @Test(arguments: ["memory/memory.oom_control", "memory.events"])
    func aModelKilledWhileTheOOMCountGrewIsOutOfMemory(file: String) throws {
        let root = try SharedRoot()
        let cgroup = root.path + "/cgroup"
        try root.write("cgroup/" + file, "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
        let result = try run(root, script: """
            import os, signal
            open("\(cgroup)/\(file)", "w").write("oom_kill_disable 0\\nunder_oom 0\\noom_kill 4\\n")
            os.kill(os.getpid(), signal.SIGKILL)
            """, cgroup: cgroup)
        #expect(result.code == 137)
        let status = ExitStatus(fileContents: try root.read("output.final/logs/exit_status"))
        #expect(status.reportsOutOfMemory, "\(status)")
        #expect(status.errorCode == .model)
        #expect(result.liveErr.contains("OOM killer"), "\(result.liveErr)")
    }

    /// The model, and what it forks, is the OOM killer's first choice; the runner keeps its own
    /// score, so it outlives a model that runs its container out of memory and reports it.
    @Test func theModelIsTheOOMKillersFirstChoiceAndTheRunnerIsNot() throws {
        let root = try SharedRoot()
        let before = try String(contentsOfFile: "/proc/self/oom_score_adj", encoding: .utf8)
        let result = try run(root, script: """
            import subprocess
            open("model.txt", "w").write(open("/proc/self/oom_score_adj").read().strip())
            open("forked.txt", "w").write(subprocess.check_output(["cat", "/proc/self/oom_score_adj"]).decode().strip())
            """)
        #expect(result.code == 0, "\(result.liveErr)")
        #expect(try root.read("output.final/run/model.txt") == "1000")
        #expect(try root.read("output.final/run/forked.txt") == "1000")
        #expect(try String(contentsOfFile: "/proc/self/oom_score_adj", encoding: .utf8) == before)
        #expect(!result.liveErr.contains("OOM killer's first choice"), "\(result.liveErr)")
    }

    /// SIGKILL without an OOM kill (the count stays, or there is no cgroup to read) is a plain kill.
    @Test(arguments: [true, false])
    func aKillWithoutAnOOMKillIsNotOutOfMemory(withCgroup: Bool) throws {
        let root = try SharedRoot()
        let cgroup = root.path + "/cgroup"
        if withCgroup { try root.write("cgroup/memory.events", "low 0\noom 2\noom_kill 2\n") }
        let result = try run(root, script: "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", cgroup: cgroup)
        #expect(result.code == 137)
        let status = ExitStatus(fileContents: try root.read("output.final/logs/exit_status"))
        #expect(!status.reportsOutOfMemory)
        #expect(status.message.contains("killed by signal 9"), "\(status)")
    }

    @Test func crashUsesStderrTail() throws {
        let root = try SharedRoot()
        let result = try run(root, script: "raise RuntimeError('boom')\n")
        #expect(result.code == 1)
        // An uncaught Python exception is the model's failure: E_MODEL (4), not E_UNKNOWN.
        let status = try root.read("output.final/logs/exit_status")
        #expect(status.hasPrefix("4\nError in script: "))
        #expect(status.hasSuffix("RuntimeError: boom"))
    }

    @Test func maliciousArchiveGivesClientErrorAndRunsNothing() throws {
        let root = try SharedRoot()
        let result = try run(root, script: "open('/tmp/should-not-run','w')\n", extra: [.file("../../escape", "x")])
        #expect(result.code == 2)
        let status = try root.read("output.final/logs/exit_status")
        #expect(status.hasPrefix("2\nstart archive rejected: member '../../escape'"))
        #expect(!root.exists("output.final/run/start.py"))
        #expect(result.liveErr.contains("E_CLIENT"))
    }

    @Test func missingInterpreterIsReported() throws {
        let root = try SharedRoot()
        let result = try run(root, script: "", options: RunnerOptions(archive: "start.tar.gz", target: "start.py",
                                                                       interpreter: ["no-such-interpreter-gssa"]))
        #expect(result.code == 2)
        #expect(try root.read("output.final/logs/exit_status").contains("cannot start no-such-interpreter-gssa"))
    }

    @Test func rerunReplacesPreviousOutput() throws {
        let root = try SharedRoot()
        _ = try run(root, script: "open('first.txt','w').write('1')\n")
        let second = try run(root, script: "open('second.txt','w').write('2')\n")
        #expect(second.code == 0)
        #expect(root.exists("output.final/run/second.txt"))
        #expect(!root.exists("output.final/run/first.txt"))
    }
}
