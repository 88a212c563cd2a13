import CLibXML2
import Foundation

/// Reads XML bytes into a ``LocatedElement`` tree with libxml2's SAX2 parser, used directly.
///
/// Every document that reaches gssa is untrusted (uploads, `PUT definition`, `POST compare`,
/// GSSF settings), so this reader is built to fail cleanly on any byte sequence: it never
/// traps, recurses without bound or hangs. It returns a tree, or an `E_CLIENT` error naming
/// the line and what libxml2 (or a limit) objected to.
///
/// - The size is checked before parsing (`InputLimits.maximumDefinitionBytes`).
/// - Nesting deeper than `InputLimits.maximumElementDepth` stops the parse.
/// - Before libxml2 runs, `XMLPreflight` bounds what libxml2 2.9 handles in quadratic time:
///   attributes per element (``maximumAttributes``) and namespace declarations
///   (``maximumNamespaceDeclarations``).
/// - GSSA-XML and GSSF-XML need no DTD, so any `<!DOCTYPE` (and with it every entity
///   declaration, the "billion laughs" and external entities) is refused. External entities,
///   DTD loading and network access are never enabled (`XML_PARSE_NONET`, no `NOENT`, no
///   `DTDLOAD`, no XInclude, no `HUGE`).
/// - Each call has its own parser context, and calls take turns with every other libxml2 user
///   in the process (``LibXML2Access``).
///
/// Attributes keep document order (namespace declarations, reported as `xmlns`/`xmlns:p`
/// attributes, come first); element and attribute names keep their prefixes; ``LocatedElement/text``
/// is the character data (entities and CDATA decoded) directly inside an element; each
/// element's line is where its start tag ends, as libxml2 reports it.
public enum XMLTreeReader {
    /// Parses a document; malformed XML is an `E_CLIENT` error with the parser's line.
    public static func read(_ data: Data) throws(GSSAError) -> LocatedElement {
        try read(data, maximumBytes: InputLimits.maximumDefinitionBytes, maximumDepth: InputLimits.maximumElementDepth)
    }

    /// Reads a file, refusing it by its size before loading it.
    public static func read(contentsOf url: URL) throws(GSSAError) -> LocatedElement {
        try read(loading(url, what: "XML document"))
    }

    /// The most attributes one element may carry (GSSA-XML and GSSF-XML use fewer than ten).
    /// libxml2 2.9 checks attributes for duplicates pairwise, so this bounds its time per tag.
    public static let maximumAttributes = 256

    /// The most `xmlns` declarations a document may hold (GSSA-XML uses none). libxml2 2.9
    /// resolves each prefix by a scan of the namespaces in scope, so this bounds that scan.
    public static let maximumNamespaceDeclarations = 64

    /// Parses with explicit limits (tests use smaller ones).
    static func read(_ data: Data, maximumBytes: Int, maximumDepth: Int) throws(GSSAError) -> LocatedElement {
        guard data.count <= maximumBytes else {
            throw GSSAError.client(
                "XML document is \(data.count) bytes, over the limit of \(maximumBytes) bytes (\(maximumBytes >> 20) MiB, InputLimits.maximumDefinitionBytes)")
        }
        guard !data.isEmpty else { throw GSSAError.client("malformed XML: the document is empty") }
        let preflight = XMLPreflight(maximumAttributes: maximumAttributes, maximumNamespaceDeclarations: maximumNamespaceDeclarations)
        var refusal: GSSAError?
        data.withUnsafeBytes { raw in
            do { try preflight.check(raw) } catch let error as GSSAError { refusal = error } catch { refusal = .wrapping(error, as: .client) }
        }
        if let refusal { throw refusal }
        _ = libraryInitialised
        let builder = TreeBuilder(maximumDepth: maximumDepth)
        let outcome: Int32 = LibXML2Access.exclusive { data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self),
                let context = xmlCreateMemoryParserCtxt(base, Int32(raw.count))
            else { return -2 }
            defer { xmlFreeParserCtxt(context) }
            var handler = makeHandler()
            let user = Unmanaged.passUnretained(builder).toOpaque()
            guard gssa_xml_install_sax(context, &handler, user) == 0 else { return -2 }
            builder.context = context
            defer { builder.context = nil }
            _ = xmlCtxtUseOptions(context, parseOptions)
            let status = xmlParseDocument(context)
            if builder.failure == nil, status != 0 || context.pointee.wellFormed == 0 {
                builder.recordLibraryError(xmlCtxtGetLastError(context).map { UnsafePointer($0) }, fallbackLine: Int(xmlSAX2GetLineNumber(context)))
            }
            return status
        } }
        if outcome == -2 { throw GSSAError.server("libxml2 could not allocate a parser context") }
        if let failure = builder.failure { throw failure }
        guard let root = builder.root else {
            throw GSSAError.client("malformed XML: no root element")
        }
        return root
    }

    /// Loads a file after checking its size, so a huge file is refused without reading it.
    static func loading(_ url: URL, what: String) throws(GSSAError) -> Data {
        let limit = InputLimits.maximumDefinitionBytes
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw GSSAError.client("cannot read \(what) \(url.path): \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        do {
            // Read one byte past the limit: enough to know it is too large, whatever stat says.
            let data = try handle.read(upToCount: limit + 1) ?? Data()
            guard data.count <= limit else {
                throw GSSAError.client(
                    "\(what) \(url.path) is larger than the limit of \(limit) bytes (\(limit >> 20) MiB, InputLimits.maximumDefinitionBytes)")
            }
            return data
        } catch let error as GSSAError {
            throw error
        } catch {
            throw GSSAError.client("cannot read \(what) \(url.path): \(error.localizedDescription)")
        }
    }

    /// `xmlInitParser` once per process, before the first context (it is not thread-safe itself).
    private static let libraryInitialised: Void = xmlInitParser()

    /// No `NOENT` (no entity substitution), no `DTDLOAD`/`DTDATTR`/`DTDVALID`, no `XINCLUDE`,
    /// no `HUGE` (keeps libxml2's own name, text and depth bounds), never the network.
    private static let parseOptions = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOXINCNODE.rawValue)

    /// A fresh handler per parse (a C struct of function pointers; not shareable as a global).
    private static func makeHandler() -> xmlSAXHandler {
        var handler = xmlSAXHandler()
        handler.initialized = gssa_xml_sax2_magic
        handler.startElementNs = { user, localName, prefix, _, namespaceCount, namespaces, attributeCount, _, attributes in
            TreeBuilder.from(user).start(
                localName: localName, prefix: prefix, namespaceCount: Int(namespaceCount), namespaces: namespaces,
                attributeCount: Int(attributeCount), attributes: attributes)
        }
        handler.endElementNs = { user, _, _, _ in TreeBuilder.from(user).end() }
        handler.characters = { user, bytes, length in TreeBuilder.from(user).characters(bytes, Int(length)) }
        handler.ignorableWhitespace = { user, bytes, length in TreeBuilder.from(user).characters(bytes, Int(length)) }
        handler.cdataBlock = { user, bytes, length in TreeBuilder.from(user).characters(bytes, Int(length)) }
        // Any DTD is refused the moment it starts, before its declarations are read.
        handler.internalSubset = { user, name, _, _ in TreeBuilder.from(user).refuseDoctype(name) }
        handler.externalSubset = { user, name, _, _ in TreeBuilder.from(user).refuseDoctype(name) }
        handler.entityDecl = { user, name, _, _, _, _ in TreeBuilder.from(user).refuseEntity(name) }
        handler.serror = { user, error in
            TreeBuilder.from(user).recordLibraryError(error.map { UnsafePointer($0) }, fallbackLine: nil)
        }
        // resolveEntity, getEntity, getParameterEntity stay nil: libxml2 then knows only the five
        // predefined entities and character references, and loads nothing.
        return handler
    }
}

/// The SAX2 receiver: builds the tree on an explicit stack of open elements.
private final class TreeBuilder {
    struct Open {
        var element: LocatedElement
        var text: [UInt8] = []
    }

    let maximumDepth: Int
    var context: xmlParserCtxtPtr?
    var stack: [Open] = []
    var root: LocatedElement?
    var failure: GSSAError?

    init(maximumDepth: Int) { self.maximumDepth = maximumDepth }

    static func from(_ user: UnsafeMutableRawPointer?) -> TreeBuilder {
        Unmanaged<TreeBuilder>.fromOpaque(user!).takeUnretainedValue()
    }

    var line: Int { context.map { Int(xmlSAX2GetLineNumber($0)) } ?? 0 }

    /// Records the first failure and turns libxml2's callbacks off for the rest of the document.
    ///
    /// Not `xmlStopParser`: called from inside a callback, libxml2 2.9 frees the input buffer
    /// that the caller's frame still points into (a use-after-free seen as a rare crash in the
    /// fuzz tests). `disableSAX` is what libxml2 itself sets on a fatal error; the rest of the
    /// document is only scanned, within the size limit and libxml2's own depth and entity bounds.
    func stop(_ error: GSSAError) {
        if failure == nil { failure = error }
        if let context { context.pointee.disableSAX = 1 }
    }

    func start(
        localName: UnsafePointer<xmlChar>?, prefix: UnsafePointer<xmlChar>?, namespaceCount: Int,
        namespaces: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, attributeCount: Int,
        attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
    ) {
        guard failure == nil else { return }
        let name = qualified(prefix, localName)
        guard stack.count < maximumDepth else {
            stop(GSSAError.client(
                "elements nest deeper than the limit of \(maximumDepth) levels (InputLimits.maximumElementDepth)",
                line: line, element: "<\(name)>"))
            return
        }
        var list: [(name: String, value: String)] = []
        list.reserveCapacity(namespaceCount + attributeCount)
        if let namespaces {
            for index in 0..<namespaceCount {
                let prefix = namespaces[2 * index]
                list.append((prefix == nil ? "xmlns" : "xmlns:" + string(prefix), string(namespaces[2 * index + 1])))
            }
        }
        if let attributes {
            // Five pointers per attribute: localname, prefix, URI, value, end of value.
            for index in 0..<attributeCount {
                let base = 5 * index
                var value = ""
                if let start = attributes[base + 3], let end = attributes[base + 4], end >= start {
                    value = String(decoding: UnsafeBufferPointer(start: start, count: end - start), as: UTF8.self)
                    // Without XML_PARSE_NOENT, libxml2 hands over `&` (from `&amp;` or `&#38;`) as
                    // the text `&#38;`, for a tree builder to decode. Any `&` in the value is such an
                    // escape (a literal one is not well-formed), so this decoding is exact.
                    if value.utf8.contains(UInt8(ascii: "&")) { value = value.replacingOccurrences(of: "&#38;", with: "&") }
                }
                list.append((qualified(attributes[base + 1], attributes[base]), value))
            }
        }
        stack.append(Open(element: LocatedElement(name: name, attributes: list, line: line)))
    }

    func end() {
        guard failure == nil, var open = stack.popLast() else { return }
        open.element.text = String(decoding: open.text, as: UTF8.self)
        if stack.isEmpty {
            root = open.element
        } else {
            stack[stack.count - 1].element.children.append(open.element)
        }
    }

    func characters(_ bytes: UnsafePointer<xmlChar>?, _ length: Int) {
        guard failure == nil, let bytes, length > 0, !stack.isEmpty else { return }
        stack[stack.count - 1].text.append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
    }

    func refuseDoctype(_ name: UnsafePointer<xmlChar>?) {
        stop(GSSAError.client(
            "DOCTYPE declarations are not accepted (GSSA-XML and GSSF-XML use no DTD or entities)",
            line: line, element: "<!DOCTYPE \(string(name))>"))
    }

    func refuseEntity(_ name: UnsafePointer<xmlChar>?) {
        stop(GSSAError.client("entity declarations are not accepted", line: line, element: "<!ENTITY \(string(name))>"))
    }

    /// Keeps libxml2's first error (warnings are ignored), with its own line and message.
    func recordLibraryError(_ error: UnsafePointer<xmlError>?, fallbackLine: Int?) {
        guard failure == nil else { return }
        guard let error else {
            failure = GSSAError.client("malformed XML", line: fallbackLine.flatMap { $0 > 0 ? $0 : nil })
            return
        }
        let level = error.pointee.level
        guard level == XML_ERR_ERROR || level == XML_ERR_FATAL else { return }
        let message = error.pointee.message.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: strlen($0)), as: UTF8.self) } ?? ""
        let reason = Self.tidy(message)
        let reported = Int(error.pointee.line)
        let line = reported > 0 ? reported : (fallbackLine ?? self.line)
        // No xmlStopParser here: libxml2 is mid-way through its own error path. Fatal errors
        // disable further callbacks anyway; after other errors the callbacks see `failure`.
        failure = GSSAError.client(
            reason.isEmpty ? "malformed XML (libxml2 error \(error.pointee.code))" : "malformed XML: \(reason)",
            line: line > 0 ? line : nil)
    }

    /// libxml2 messages end in a newline and sometimes span lines ("…\nBytes: 0xFF 0x3E").
    static func tidy(_ message: String) -> String {
        let parts = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var text = parts.joined(separator: "; ")
        if text.count > 300 { text = String(text.prefix(300)) + "…" }
        return text
    }

    func qualified(_ prefix: UnsafePointer<xmlChar>?, _ local: UnsafePointer<xmlChar>?) -> String {
        prefix == nil ? string(local) : string(prefix) + ":" + string(local)
    }

    /// Never traps: libxml2 hands over UTF-8, and anything else would be repaired, not trusted.
    func string(_ bytes: UnsafePointer<xmlChar>?) -> String {
        guard let bytes else { return "" }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(xmlStrlen(bytes))), as: UTF8.self)
    }
}
