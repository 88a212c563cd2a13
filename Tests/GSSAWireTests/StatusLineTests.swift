import GSSAWire
import Testing

@Suite struct StatusLineTests {
    @Test func percentageAndMessage() {
        let line = StatusLine(parsing: "42.000000|Solving")
        #expect(line.percentage == "42.000000")
        #expect(line.percentageValue == 42)
        #expect(line.message == "Solving")
        #expect(line.rendered == "##gssa-status## 42.000000|Solving\n")
    }

    @Test func messageOnlyAndLeadingBar() {
        #expect(StatusLine(parsing: "Meshing") == StatusLine(percentage: nil, message: "Meshing"))
        #expect(StatusLine(parsing: "|a|b") == StatusLine(percentage: nil, message: "a|b"))
        // A non-numeric head is part of the message, not a percentage; so is a non-finite one.
        #expect(StatusLine(parsing: "stage|two") == StatusLine(percentage: nil, message: "stage|two"))
        #expect(StatusLine(parsing: "nan|x") == StatusLine(percentage: nil, message: "nan|x"))
        #expect(StatusLine(parsing: "inf|x").percentageValue == nil)
    }

    @Test func renderedRoundTrip() {
        let line = StatusLine(percentage: "7", message: "x|y")
        #expect(StatusLine(rendered: line.rendered[...]) == line)
        #expect(StatusLine(rendered: "plain output") == nil)
    }

    /// What the daemon reads from the runner's stdout (formerly a second parser in LaunchProtocol).
    @Test func daemonSideParsing() {
        let solving = StatusLine(rendered: "##gssa-status## 42.5|Solving")
        #expect(solving?.percentageValue == 42.5 && solving?.message == "Solving")
        let empty = StatusLine(rendered: "##gssa-status## |Meshing")
        #expect(empty != nil && empty?.percentageValue == nil && empty?.message == "Meshing")
        // Not status lines: no bar, a head that is no finite number, a marker not at the start.
        #expect(StatusLine(rendered: "##gssa-status## no bar") == nil)
        #expect(StatusLine(rendered: "##gssa-status## abc|x") == nil)
        #expect(StatusLine(rendered: "##gssa-status## nan|x") == nil)
        #expect(StatusLine(rendered: " ##gssa-status## 1|x") == nil)
    }

    @Test func controlCharactersBecomeSpaces() {
        #expect(StatusLine(parsing: "5|a\tb\u{1b}c").message == "a b c")
    }
}

@Suite struct LineSplitterTests {
    @Test func keepsPartialLinesAndStripsCR() {
        var splitter = LineSplitter(maximumLineLength: 8)
        #expect(splitter.feed(Array("ab".utf8)) == [])
        #expect(splitter.feed(Array("c\r\nde\nfg".utf8)) == ["abc", "de"])
        #expect(splitter.finish() == "fg")
        #expect(splitter.finish() == nil)
    }

    /// An overlong line is cut into pieces; no byte is dropped.
    @Test func overlongLinesAreCutNotDropped() {
        var splitter = LineSplitter(maximumLineLength: 8)
        #expect(splitter.feed(Array("0123456789abcdefXY\nok\n".utf8)) == ["01234567", "89abcdef", "XY", "ok"])
    }

    /// A cut never splits a UTF-8 character.
    @Test func cutsAtCharacterBoundaries() {
        var splitter = LineSplitter(maximumLineLength: 8)
        let lines = splitter.feed(Array("abcdeéé€€x\n".utf8))
        #expect(lines.joined() == "abcdeéé€€x")
        #expect(lines.allSatisfy { !$0.contains("\u{FFFD}") && $0.utf8.count <= 8 })
    }

    /// Memory stays bounded on a stream without newlines.
    @Test func boundedWithoutNewlines() {
        var splitter = LineSplitter(maximumLineLength: 1024)
        var total = 0
        for _ in 0..<100 { total += splitter.feed([UInt8](repeating: 0x41, count: 10_000)).count }
        #expect(total == 976)
        #expect(splitter.finish()?.utf8.count == 1_000_000 - 976 * 1024)
    }
}

@Suite struct ExitStatusTests {
    @Test func writesTheOriginalFormat() {
        #expect(ExitStatus(.success, "OK").fileContents == "0\nOK")
        #expect(ExitStatus(code: 137, message: "Error in script: killed").fileContents == "137\nError in script: killed")
    }

    /// The reader behaves as the original server's (reference §4.5).
    @Test(arguments: [
        ("0\nOK", ErrorCode.success, "OK"),
        ("4\nError in script: bad mesh\n", .model, "Error in script: bad mesh"),
        ("E_CLIENT\n  no input  ", .client, "no input"),
        ("6\nCancelled", .cancelled, "Cancelled"),
        ("5\nstill going", .unknown, "still going"),
        ("IN_PROGRESS\nstill going", .unknown, "still going"),
        ("137\nkilled", .unknown, "killed [Code 137]"),
        ("garbage\nrest", .unknown, "Unreadable exit status 'garbage': rest"),
        ("", .unknown, "Unreadable exit status ''"),
    ])
    func readsAsTheOriginal(text: String, code: ErrorCode, message: String) {
        let status = ExitStatus(fileContents: text)
        #expect(status.errorCode == code)
        #expect(status.reportedMessage == message)
    }

    @Test func roundTrips() {
        let status = ExitStatus(code: 3, message: "line 1\nline 2")
        #expect(ExitStatus(fileContents: status.fileContents) == status)
    }
}
