import Foundation

/// Writes a ``LocatedElement`` tree back as XML.
///
/// For edits of untrusted documents (e.g. `gssa launch` pointing `<definition>` at an archive):
/// read with ``XMLTreeReader``, change the tree, write it here, and no second XML parser ever
/// sees the input. What the tree does not keep is not written: comments, processing
/// instructions, and the interleaving of text with child elements (an element's text comes
/// before its children). Reading the compact output gives an equal tree. Iterative, so depth is no
/// risk.
public enum XMLTreeWriter {
    /// How a document is laid out.
    public struct Layout: Sendable, Hashable {
        /// Spaces per level; 0 writes the whole tree on one line.
        public var indent: Int
        /// The first line.
        public var declaration: String

        public init(indent: Int = 0, declaration: String = #"<?xml version="1.0" encoding="UTF-8"?>"#) {
            self.indent = max(0, indent)
            self.declaration = declaration
        }

        /// One line, UTF-8 declaration: for documents only programs read.
        public static let compact = Layout()
        /// Two spaces per level and the declaration the original GSSF-XML files carry: the layout
        /// of `settings.xml` (people read it, and its golden test compares bytes).
        public static let gssf = Layout(indent: 2, declaration: #"<?xml version="1.0" encoding="utf-8" standalone="no"?>"#)
    }

    /// The document as UTF-8 bytes, with an XML declaration.
    public static func data(_ root: LocatedElement, layout: Layout = .compact) -> Data {
        Data(string(root, layout: layout).utf8)
    }

    /// The document as text, with an XML declaration; special characters are escaped. With an
    /// indent, each element starts on its own line, so an element with children reads back with
    /// whitespace for text; an element with text of its own is written on one line, children and
    /// all, so indenting never changes a text.
    public static func string(_ root: LocatedElement, layout: Layout = .compact) -> String {
        enum Step { case open(LocatedElement, depth: Int, flat: Bool), close(String, depth: Int, flat: Bool) }
        var out = layout.declaration + "\n"
        func newline(_ depth: Int, flat: Bool) {
            if layout.indent > 0 && !flat { out += "\n" + String(repeating: " ", count: depth * layout.indent) }
        }
        var pending: [Step] = [.open(root, depth: 0, flat: true)]
        while let step = pending.popLast() {
            switch step {
            case .close(let name, let depth, let flat):
                newline(depth, flat: flat)
                out += "</\(name)>"
            case .open(let element, let depth, let flat):
                newline(depth, flat: flat)
                out += "<" + element.name
                for attribute in element.attributes {
                    out += " \(attribute.name)=\"\(escape(attribute.value, attribute: true))\""
                }
                let children = element.children
                if children.isEmpty && element.text.isEmpty {
                    out += "/>"
                    continue
                }
                out += ">" + escape(element.text, attribute: false)
                // `flat` here means "inside an element with text": everything stays on its line.
                let inner = (flat && depth > 0) || !element.text.isEmpty
                pending.append(.close(element.name, depth: depth, flat: inner || children.isEmpty))
                pending.append(contentsOf: children.reversed().map { .open($0, depth: depth + 1, flat: inner) })
            }
        }
        return out + "\n"
    }

    /// Escapes markup characters; in attributes also quotes and the whitespace that attribute
    /// normalisation would otherwise turn into spaces. `\r` becomes a reference everywhere,
    /// since a literal one would be normalised to `\n` when read back.
    static func escape(_ text: String, attribute: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\r": out += "&#13;"
            case "\"" where attribute: out += "&quot;"
            case "\n" where attribute: out += "&#10;"
            case "\t" where attribute: out += "&#9;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
