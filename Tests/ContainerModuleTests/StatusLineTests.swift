import Testing
@testable import ContainerModule

@Suite struct StatusLineTests {
    @Test func percentageAndMessage() {
        let line = StatusLine(parsing: "42.000000|Solving")
        #expect(line.percentage == "42.000000")
        #expect(line.message == "Solving")
        #expect(line.rendered == "##gssa-status## 42.000000|Solving\n")
    }

    @Test func messageOnlyAndLeadingBar() {
        #expect(StatusLine(parsing: "Meshing") == StatusLine(percentage: nil, message: "Meshing"))
        #expect(StatusLine(parsing: "|a|b") == StatusLine(percentage: nil, message: "a|b"))
        // A non-numeric head is part of the message, not a percentage.
        #expect(StatusLine(parsing: "stage|two") == StatusLine(percentage: nil, message: "stage|two"))
    }

    @Test func renderedRoundTrip() {
        let line = StatusLine(percentage: "7", message: "x|y")
        #expect(StatusLine(rendered: line.rendered[...]) == line)
        #expect(StatusLine(rendered: "plain output") == nil)
    }

    @Test func controlCharactersBecomeSpaces() {
        #expect(StatusLine(parsing: "5|a\tb\u{1b}c").message == "a b c")
    }

    @Test func splitterKeepsPartialLinesAndCapsLength() {
        var splitter = LineSplitter(maximumLineLength: 8)
        #expect(splitter.feed(Array("ab".utf8)) == [])
        #expect(splitter.feed(Array("c\r\nde\nfg".utf8)) == ["abc", "de"])
        #expect(splitter.finish() == "fg")
        #expect(splitter.feed(Array("0123456789abc\nok\n".utf8)) == ["01234567", "ok"])
    }
}
