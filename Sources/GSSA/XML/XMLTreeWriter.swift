import Foundation

/// Writes a ``LocatedElement`` tree back as XML.
///
/// For edits of untrusted documents (e.g. `gssa launch` pointing `<definition>` at an archive):
/// read with ``XMLTreeReader``, change the tree, write it here, and no second XML parser ever
/// sees the input. What the tree does not keep is not written: comments, processing
/// instructions, and the interleaving of text with child elements (an element's text comes
/// before its children). Reading the output gives an equal tree. Iterative, so depth is no risk.
public enum XMLTreeWriter {
    /// The document as UTF-8 bytes, with an XML declaration.
    public static func data(_ root: LocatedElement) -> Data {
        Data(string(root).utf8)
    }

    /// The document as text, with an XML declaration; special characters are escaped.
    public static func string(_ root: LocatedElement) -> String {
        enum Step { case open(LocatedElement), close(String) }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        var pending: [Step] = [.open(root)]
        while let step = pending.popLast() {
            switch step {
            case .close(let name):
                out += "</\(name)>"
            case .open(let element):
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
                pending.append(.close(element.name))
                pending.append(contentsOf: children.reversed().map { .open($0) })
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
