import Foundation
import GSSA
import Testing

/// The indented layout is what `settings.xml` looks like to people; it may add whitespace between
/// elements but must never change an attribute or a text.
@Suite struct XMLTreeWriterTests {
    /// The tree with every whitespace-only text emptied: what indentation may add.
    func withoutLayoutWhitespace(_ element: LocatedElement) -> LocatedElement {
        var copy = element
        if copy.text.allSatisfy(\.isWhitespace) && !copy.children.isEmpty { copy.text = "" }
        copy.children = copy.children.map(withoutLayoutWhitespace)
        return copy
    }

    @Test func gssfLayoutIndentsElementsAndKeepsTexts() throws {
        let tree = LocatedElement(name: "gssf", attributes: [("name", "a \"b\" <c>")], children: [
            LocatedElement(name: "regions", children: [LocatedElement(name: "surface", attributes: [("input", "input/o.stl")])]),
            LocatedElement(name: "variant", text: "line 1\n  line 2 & <3>"),
            // Text and children together: written flat, so the text reads back unchanged.
            LocatedElement(name: "mixed", children: [LocatedElement(name: "inner", children: [LocatedElement(name: "leaf")])], text: "t"),
            LocatedElement(name: "optimizer"),
        ])
        let text = XMLTreeWriter.string(tree, layout: .gssf)
        #expect(text == """
            <?xml version="1.0" encoding="utf-8" standalone="no"?>
            <gssf name="a &quot;b&quot; &lt;c&gt;">
              <regions>
                <surface input="input/o.stl"/>
              </regions>
              <variant>line 1
              line 2 &amp; &lt;3&gt;</variant>
              <mixed>t<inner><leaf/></inner></mixed>
              <optimizer/>
            </gssf>

            """)
        let back = try XMLTreeReader.read(Data(text.utf8))
        #expect(withoutLayoutWhitespace(back) == tree)
        // The compact layout is unchanged: no layout whitespace, and it reads back equal.
        #expect(try XMLTreeReader.read(XMLTreeWriter.data(tree)) == tree)
        #expect(XMLTreeWriter.string(tree).hasSuffix("<optimizer/></gssf>\n"))
        #expect(!XMLTreeWriter.string(tree).contains("\n  <"))
    }
}
