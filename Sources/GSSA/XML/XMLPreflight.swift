/// A linear scan of the raw bytes, before libxml2 sees them, for the inputs libxml2 2.9 handles
/// in quadratic time.
///
/// libxml2 2.9 checks each attribute of a start tag against all earlier ones (and resolves each
/// prefix against every namespace in scope), so one 16 MiB start tag with a million attributes
/// keeps it busy for hours. GSSA-XML uses a handful of attributes per element and no namespaces,
/// so bounding both costs nothing.
///
/// The scan is a small lexer: it skips comments, CDATA sections and processing instructions,
/// follows quotes inside start tags, and counts `=` signs (an upper bound on attributes) per
/// start tag and `xmlns` names per document. At `<!` that is neither a comment nor CDATA (a
/// DOCTYPE, or an error) it stops: libxml2 stops there too.
struct XMLPreflight {
    let maximumAttributes: Int
    let maximumNamespaceDeclarations: Int

    func check(_ bytes: UnsafeRawBufferPointer) throws(GSSAError) {
        let count = bytes.count
        var index = 0
        var line = 1
        var namespaces = 0

        /// Advances past `terminator` (counting lines); false at the end of the input.
        func skip(past terminator: [UInt8]) -> Bool {
            while index < count {
                if bytes[index] == 0x0A { line += 1 }
                if bytes[index] == terminator[0], index + terminator.count <= count,
                    (1..<terminator.count).allSatisfy({ bytes[index + $0] == terminator[$0] })
                {
                    index += terminator.count
                    return true
                }
                index += 1
            }
            return false
        }
        func starts(_ literal: [UInt8]) -> Bool {
            index + literal.count <= count && (0..<literal.count).allSatisfy { bytes[index + $0] == literal[$0] }
        }

        while index < count {
            let byte = bytes[index]
            if byte == 0x0A { line += 1 }
            guard byte == UInt8(ascii: "<") else {
                index += 1
                continue
            }
            if starts(Self.commentOpen) {
                index += Self.commentOpen.count
                guard skip(past: Self.commentClose) else { return }
            } else if starts(Self.cdataOpen) {
                index += Self.cdataOpen.count
                guard skip(past: Self.cdataClose) else { return }
            } else if starts(Self.piOpen) {
                index += Self.piOpen.count
                guard skip(past: Self.piClose) else { return }
            } else if starts(Self.declarationOpen) {
                return
            } else {
                try startTag(bytes, &index, &line, &namespaces)
            }
        }
    }

    /// Scans one tag from its `<` to the `>` outside quotes (or the next `<`, where libxml2 fails).
    private func startTag(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, _ line: inout Int, _ namespaces: inout Int) throws(GSSAError) {
        let tagLine = line
        let nameStart = index + 1
        index += 1
        while index < bytes.count, !Self.isSpaceOrEnd(bytes[index]) { index += 1 }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[nameStart..<min(index, nameStart + 100)]), as: UTF8.self)
        var equals = 0
        var quote: UInt8?
        var previous: UInt8 = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0A { line += 1 }
            if let open = quote {
                if byte == open { quote = nil }
                if byte == UInt8(ascii: "<") { return }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: ">") || byte == UInt8(ascii: "<") {
                if byte == UInt8(ascii: ">") { index += 1 }
                return
            } else if byte == UInt8(ascii: "=") {
                equals += 1
                guard equals <= maximumAttributes else {
                    throw GSSAError.client(
                        "more than \(maximumAttributes) attributes on one element (XMLTreeReader.maximumAttributes)", line: tagLine,
                        element: "<\(name)>")
                }
            } else if byte == UInt8(ascii: "x"), Self.isSpaceOrEnd(previous), index + 5 <= bytes.count,
                bytes[index + 1] == UInt8(ascii: "m"), bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "n"),
                bytes[index + 4] == UInt8(ascii: "s")
            {
                namespaces += 1
                guard namespaces <= maximumNamespaceDeclarations else {
                    throw GSSAError.client(
                        "more than \(maximumNamespaceDeclarations) namespace declarations in the document (XMLTreeReader.maximumNamespaceDeclarations)",
                        line: line, element: "<\(name)>")
                }
            }
            previous = byte
            index += 1
        }
    }

    private static func isSpaceOrEnd(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/")
            || byte == UInt8(ascii: "<") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
    }

    private static let commentOpen = Array("<!--".utf8), commentClose = Array("-->".utf8)
    private static let cdataOpen = Array("<![CDATA[".utf8), cdataClose = Array("]]>".utf8)
    private static let piOpen = Array("<?".utf8), piClose = Array("?>".utf8)
    private static let declarationOpen = Array("<!".utf8)
}
