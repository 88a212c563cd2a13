import Foundation
import Testing
@testable import GSSA

/// The XML reader on its own: tree semantics, and refusal of everything hostile with E_CLIENT.
@Suite struct XMLTreeReaderTests {
    /// Reads bytes, expecting E_CLIENT; returns the error for further checks.
    @discardableResult
    private func expectRefusal(
        _ bytes: [UInt8], line: Int?, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation
    ) -> GSSAError? {
        do {
            let tree = try XMLTreeReader.read(Data(bytes))
            Issue.record("expected a refusal, got <\(tree.name)>", sourceLocation: sourceLocation)
            return nil
        } catch {
            #expect(error.code == .client, "\(error)", sourceLocation: sourceLocation)
            if let line { #expect(error.line == line, "\(error)", sourceLocation: sourceLocation) }
            for fragment in fragments {
                #expect(error.description.contains(fragment), "\(error.description) lacks \(fragment)", sourceLocation: sourceLocation)
            }
            #expect(!error.description.contains("libxml2 error"), "\(error)", sourceLocation: sourceLocation)
            return error
        }
    }

    private func expectRefusal(_ text: String, line: Int?, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try XMLTreeReader.read(Data(text.utf8))
            Issue.record("expected a refusal", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == .client, "\(error)", sourceLocation: sourceLocation)
            if let line { #expect(error.line == line, "\(error)", sourceLocation: sourceLocation) }
            for fragment in fragments {
                #expect(error.description.contains(fragment), "\(error.description) lacks \(fragment)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func linesAttributeOrderTextAndNamespaces() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment -->
            <root z="1" a="2" xmlns:p="urn:p" p:k="v">
              <?gssa ignored?>
              <child
                 id="c1" amp="x &amp; y &#38; z &lt;">a &amp; b &lt; &#233;<![CDATA[<raw>]]>c<!-- x --></child>
              <p:leaf/>
            </root>
            """
        let root = try XMLTreeReader.read(Data(xml.utf8))
        #expect(root.name == "root")
        #expect(root.line == 3)
        #expect(root.attributes.map(\.name) == ["xmlns:p", "z", "a", "p:k"])
        #expect(root.attributes.map(\.value) == ["urn:p", "1", "2", "v"])
        #expect(root.children.map(\.name) == ["child", "p:leaf"])
        let child = root.children[0]
        #expect(child.line == 6, "an element's line is where its start tag ends")
        #expect(child[attribute: "id"] == "c1")
        #expect(child[attribute: "amp"] == "x & y & z <")
        #expect(child.text == "a & b < é<raw>c")
        #expect(root.children[1].line == 7)
        #expect(root.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    @Test func libxml2MessagesNameTheProblemAndLine() {
        expectRefusal("<a>\n<b>\n</c>\n</a>", line: 3, "malformed XML", "Opening and ending tag mismatch")
        expectRefusal("<a x='1' x='2'/>", line: 1, "Attribute x redefined")
        expectRefusal("<a>\n<p:b/>\n</a>", line: 2, "Namespace prefix p on b is not defined")
        expectRefusal("<a/><b/>", line: 1, "Extra content at the end of the document")
        expectRefusal("", line: nil, "the document is empty")
        expectRefusal("   \n", line: nil, "malformed XML")
    }

    /// The issue's crashers: invalid UTF-8 in each place FoundationXML trapped on, on line 2.
    static let invalidUTF8Cases: [(String, [UInt8])] = {
        func bytes(_ head: String, _ bad: [UInt8], _ tail: String) -> [UInt8] { Array(head.utf8) + bad + Array(tail.utf8) }
        return [
            ("comment", bytes("<a>\n<!-- ", [0xFF, 0xFE], " -->\n</a>")),
            ("element name", bytes("<a>\n<b", [0xFF], "/>\n</a>")),
            ("attribute name", bytes("<a>\n<b x", [0xC3], "y='1'/>\n</a>")),
            ("PI target", bytes("<a>\n<?p", [0xFF], " x?>\n</a>")),
            ("PI data", bytes("<a>\n<?p ", [0xED, 0xA0, 0x80], "?>\n</a>")),
            ("text", bytes("<a>\n", [0xC0, 0xAF], "\n</a>")),
            ("attribute value", bytes("<a>\n<b x='", [0xF5], "'/>\n</a>")),
        ]
    }()

    @Test(arguments: XMLTreeReaderTests.invalidUTF8Cases)
    func invalidUTF8IsAClientErrorOnItsLine(place: String, bytes: [UInt8]) {
        let error = expectRefusal(bytes, line: 2, "malformed XML")
        // libxml2 names the bytes ("Input is not proper UTF-8… Bytes: 0xFF") or the code point
        // ("Char 0xD800 out of allowed range").
        let reason = error?.reason ?? ""
        #expect(reason.contains("UTF-8") || reason.contains("out of allowed range"), "\(place): \(String(describing: error))")
    }

    @Test func depthIsCappedNamingElementLineAndLimit() throws {
        func nested(_ depth: Int) -> Data {
            Data((String(repeating: "<e>\n", count: depth) + String(repeating: "</e>", count: depth)).utf8)
        }
        let deepest = try XMLTreeReader.read(nested(InputLimits.maximumElementDepth))
        #expect(deepest.descendantsAndSelf.count == InputLimits.maximumElementDepth)
        do {
            _ = try XMLTreeReader.read(nested(InputLimits.maximumElementDepth + 1))
            Issue.record("depth 257 accepted")
        } catch {
            #expect(error.code == .client)
            #expect(error.line == InputLimits.maximumElementDepth + 1)
            #expect(error.element == "<e>")
            #expect(error.reason.contains("limit of 256 levels"), "\(error)")
            #expect(error.reason.contains("InputLimits.maximumElementDepth"))
        }
        // The issue's crasher: ~50,000 nested elements overflowed the stack.
        #expect(throws: GSSAError.self) { try SimulationDefinition.parse(nested(50_000)) }
        #expect(throws: GSSAError.self) {
            try SimulationDefinition.parse(Data(("<simulationDefinition>" + String(repeating: "<a>", count: 200_000)).utf8))
        }
    }

    @Test func deepTreesAreDroppedComparedAndHashedWithoutRecursion() {
        func chain(_ depth: Int, leaf: String) -> LocatedElement {
            var node = LocatedElement(name: "leaf", text: leaf)
            for level in 0..<depth { node = LocatedElement(name: "n", children: [node], line: level) }
            return node
        }
        do {
            let a = chain(200_000, leaf: "x")
            let b = chain(200_000, leaf: "x")
            let c = chain(200_000, leaf: "y")
            #expect(a == b)
            #expect(a != c)
            #expect(a.hashValue == b.hashValue)
            var copy = a
            copy.children[0].children[0].name = "changed"  // copy on write: `a` is untouched
            #expect(copy != a)
            #expect(a.children[0].children[0].name == "n")
        }  // all four trees are released here; a recursive teardown would overflow the stack
    }

    @Test func sizeIsCappedBeforeParsing() throws {
        let limit = InputLimits.maximumDefinitionBytes
        var big = Data("<simulationDefinition>".utf8)
        big.append(Data(repeating: UInt8(ascii: " "), count: limit))
        big.append(Data("</simulationDefinition>".utf8))
        do {
            _ = try SimulationDefinition.parse(big)
            Issue.record("over-limit document accepted")
        } catch {
            #expect(error.code == .client)
            #expect(error.reason.contains("\(limit) bytes"), "\(error)")
            #expect(error.reason.contains("InputLimits.maximumDefinitionBytes"))
        }
        // A file is refused without being read whole (a sparse file of 1 GiB).
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-big-\(UUID().uuidString).xml")
        #expect(FileManager.default.createFile(atPath: url.path, contents: Data("<simulationDefinition>".utf8)))
        defer { try? FileManager.default.removeItem(at: url) }
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 1 << 30)
        try handle.close()
        do {
            _ = try SimulationDefinition.parse(contentsOf: url)
            Issue.record("1 GiB file accepted")
        } catch {
            #expect(error.code == .client)
            #expect(error.reason.contains("larger than the limit of \(limit) bytes"), "\(error)")
        }
        // Just under the limit is still parsed.
        var under = Data("<simulationDefinition>".utf8)
        under.append(Data(repeating: UInt8(ascii: " "), count: limit - 64))
        under.append(Data("</simulationDefinition>".utf8))
        #expect(try XMLTreeReader.read(under).name == "simulationDefinition")
    }

    @Test func doctypeAndEntityDeclarationsAreRefused() throws {
        let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE r [\n<!ENTITY a \"aaaaaaaaaa\">\n"
            + (1...9).map { "<!ENTITY a\($0) \"" + String(repeating: "&a\($0 == 1 ? "" : "\($0 - 1)");", count: 10) + "\">" }.joined(separator: "\n")
            + "\n]>\n<r>&a9;</r>"
        expectRefusal(laughs, line: 2, "DOCTYPE declarations are not accepted", "<!DOCTYPE r>")
        let xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<r>&x;</r>"
        expectRefusal(xxe, line: 2, "DOCTYPE")
        expectRefusal("<!DOCTYPE r SYSTEM \"http://127.0.0.1:9/x.dtd\"><r/>", line: 1, "DOCTYPE")
        expectRefusal("<!DOCTYPE r PUBLIC \"-//x//y\" \"file:///etc/passwd\"><r/>", line: 1, "DOCTYPE")
        expectRefusal("<!DOCTYPE r [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]><r/>", line: 1, "DOCTYPE")
        expectRefusal("<!DOCTYPE r><r/>", line: 1, "DOCTYPE")
        // Without a DTD, only the predefined entities exist.
        expectRefusal("<r>\n&x;</r>", line: 2, "Entity 'x' not defined")
    }

    @Test func xincludeIsNeverProcessed() throws {
        let xml = "<r xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"/etc/passwd\" parse=\"text\"/></r>"
        let root = try XMLTreeReader.read(Data(xml.utf8))
        #expect(root.children.map(\.name) == ["xi:include"])
        #expect(root.descendantsAndSelf.allSatisfy { !$0.text.contains("root:") })
    }

    static func refusal(_ data: Data) -> GSSAError? {
        do {
            _ = try XMLTreeReader.read(data)
            return nil
        } catch {
            return error
        }
    }

    @Test func concurrentReadsAreIndependent() async throws {
        let good = Data(representativeXML.utf8)
        let bad = Data("<a>\n<b>\n</c>".utf8)
        let expected = try XMLTreeReader.read(good)
        let results = await withTaskGroup(of: Bool.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for round in 0..<40 {
                        if (task + round) % 2 == 0 {
                            guard (try? XMLTreeReader.read(good)) == expected else { return false }
                        } else {
                            guard let error = Self.refusal(bad), error.line == 3, error.reason.contains("mismatch") else { return false }
                        }
                    }
                    return true
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 8))
    }

    @Test func writerOutputReadsBackToTheSameTree() throws {
        let tricky = LocatedElement(
            name: "r", attributes: [("xmlns:p", "urn:p"), ("a", "x\"y'<&>\t\n\r z &#38; &amp;")],
            children: [LocatedElement(name: "p:c", text: "1 < 2 && \r\n ]]> é 😀"), LocatedElement(name: "e")],
            text: "  lead ")
        let back = try XMLTreeReader.read(XMLTreeWriter.data(tricky))
        #expect(back == tricky)
        let definition = try XMLTreeReader.read(Data(representativeXML.utf8))
        #expect(try XMLTreeReader.read(XMLTreeWriter.data(definition)) == definition)
        #expect(try SimulationDefinition.parse(XMLTreeWriter.data(definition)) == SimulationDefinition.parse(representativeXML))
    }
}
