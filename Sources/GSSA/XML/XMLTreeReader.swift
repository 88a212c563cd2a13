import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads XML text into an ``LocatedElement`` tree with libxml2's SAX parser.
public enum XMLTreeReader {
    /// Parses a document; malformed XML is an `E_CLIENT` error with the parser's line.
    public static func read(_ data: Data) throws(GSSAError) -> LocatedElement {
        let parser = XMLParser(data: data)
        let builder = Builder(parser: parser)
        parser.delegate = builder
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        let ok = parser.parse()
        if !ok || builder.root == nil {
            let line = builder.failureLine ?? parser.lineNumber
            let reason: String
            if let error = parser.parserError as NSError? {
                let detail = (error.userInfo[NSLocalizedDescriptionKey] as? String) ?? ""
                reason = detail.isEmpty || detail.contains("couldn’t be completed") || detail.contains("couldn't be completed")
                    ? "malformed XML (libxml2 error \(error.code))" : "malformed XML: \(detail)"
            } else {
                reason = "malformed XML: no root element"
            }
            throw GSSAError.client(reason, line: line > 0 ? line : nil)
        }
        return builder.root!
    }

    private final class Builder: NSObject, XMLParserDelegate {
        unowned let parser: XMLParser
        var stack: [LocatedElement] = []
        var root: LocatedElement?
        var failureLine: Int?

        init(parser: XMLParser) { self.parser = parser }

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
        ) {
            // Attribute order from libxml2 is not kept by the dictionary; sort for determinism.
            let attributes = attributeDict.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
            stack.append(LocatedElement(name: elementName, attributes: attributes, line: parser.lineNumber))
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            guard let node = stack.popLast() else { return }
            if stack.isEmpty {
                root = node
            } else {
                stack[stack.count - 1].children.append(node)
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
            if failureLine == nil { failureLine = parser.lineNumber }
        }
    }
}
