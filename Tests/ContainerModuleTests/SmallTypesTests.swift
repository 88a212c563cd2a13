import GSSAWire
import Testing

@testable import ContainerModule

@Suite struct ExitStatusTests {
    @Test func successIsOK() {
        let status = ExitStatus.forChild(exitCode: 0, errorMessage: "ignored", stderr: Array("noise\n".utf8))
        #expect(status.fileContents == "0\nOK")
    }

    @Test func errorMessageFileWins() {
        let status = ExitStatus.forChild(exitCode: 4, errorMessage: "Mesh too coarse\n", stderr: Array("trace\n".utf8))
        #expect(status.fileContents == "4\nError in script: Mesh too coarse")
    }

    @Test func otherwiseLastTenLinesOfStderr() {
        let stderr = (1...15).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let status = ExitStatus.forChild(exitCode: 1, errorMessage: nil, stderr: Array(stderr.utf8))
        #expect(status.fileContents == "1\nError in script: " + (6...15).map { "line \($0)" }.joined(separator: "\n"))
        #expect(ExitStatus(fileContents: status.fileContents) == status)
    }

    @Test func uncaughtPythonExceptionsAreModelErrors() {
        let traceback = "Traceback (most recent call last):\n  File \"start.py\", line 3, in <module>\n    1 / 0\nZeroDivisionError: division by zero\n"
        #expect(ExitStatus.forChild(exitCode: 1, errorMessage: nil, stderr: Array(traceback.utf8)).code == 4)
        let syntax = "  File \"start.py\", line 2\n    def broken(:\n               ^\nSyntaxError: invalid syntax\n"
        let status = ExitStatus.forChild(exitCode: 1, errorMessage: nil, stderr: Array(syntax.utf8))
        #expect(status.code == 4)
        #expect(status.message.hasSuffix("SyntaxError: invalid syntax"))
        #expect(ExitStatus.forChild(exitCode: 1, errorMessage: nil, stderr: Array("gosmart.parameters.MissingParameterError: X\n".utf8)).code == 4)
        // A non-Python failure with exit 1 keeps its code.
        #expect(ExitStatus.forChild(exitCode: 1, errorMessage: nil, stderr: Array("make: *** [all] Error 1\n".utf8)).code == 1)
        #expect(ExitStatus.forChild(exitCode: 2, errorMessage: nil, stderr: Array(traceback.utf8)).code == 2)
    }

    @Test func failuresUseTheirClass() {
        let status = ExitStatus.forFailure(.client("start archive rejected: member '../x' contains '..'"))
        #expect(status.fileContents == "2\nstart archive rejected: member '../x' contains '..'")
    }
}

@Suite struct RunnerOptionsTests {
    @Test func defaults() throws {
        let options = try RunnerOptions.parse(["run"])
        #expect(options == RunnerOptions(archive: "start.tar.gz", target: "start.py", interpreter: ["python3"]))
        #expect(options.childArguments == ["python3", "start.py"])
    }

    @Test func explicitOptions() throws {
        let options = try RunnerOptions.parse(["run", "--archive=model.tar.gz", "--target", "go.sh", "--interpreter", "bash -e"])
        #expect(options.childArguments == ["bash", "-e", "go.sh"])
        #expect(options.archive == "model.tar.gz")
        #expect(try RunnerOptions.parse(["run", "--interpreter", "", "--target", "a.out"]).childArguments == ["./a.out"])
    }

    @Test func badCommandLinesAreClientErrors() {
        for arguments in [[], ["start"], ["run", "--bogus"], ["run", "--target"], ["run", "--target", "../x"],
                          ["run", "--archive", "../start.tar.gz"], ["run", "--target", "/bin/sh"]] {
            #expect(throws: RunnerFailure.self, "\(arguments)") { try RunnerOptions.parse(arguments) }
        }
    }

    @Test func layoutFollowsEnvironment() {
        let layout = SharedLayout(environment: ["GSSA_SHARED_ROOT": "/tmp/x/"])
        #expect(layout.run == "/tmp/x/output/run")
        #expect(layout.statusSocket == "/tmp/x/update.sock")
        #expect(layout.published == "/tmp/x/output.final")
        #expect(SharedLayout(environment: [:]).input == "/shared/input")
        #expect(SharedLayout(environment: ["GSSA_STATUS_SOCKET": "/s.sock"]).statusSocket == "/s.sock")
    }
}
