/// A minimal element tree that remembers source lines.
///
/// libxml2's DOM (XMLDocument) does not expose line numbers, and every GSSA-XML rejection must
/// name its line, so documents are read with the SAX parser into this tree instead.
public struct LocatedElement: Sendable, Hashable {
    public var name: String
    /// Attributes in document order.
    public var attributes: [(name: String, value: String)]
    public var children: [LocatedElement]
    /// Concatenated character data directly inside this element.
    public var text: String
    public var line: Int

    public init(name: String, attributes: [(name: String, value: String)] = [], children: [LocatedElement] = [], text: String = "", line: Int = 0) {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
        self.line = line
    }

    public subscript(attribute name: String) -> String? {
        attributes.first { $0.name == name }?.value
    }

    public func children(named name: String) -> [LocatedElement] { children.filter { $0.name == name } }
    public func child(named name: String) -> LocatedElement? { children.first { $0.name == name } }

    /// `<region id="r1">`, the form errors use to point at an element.
    public var tag: String {
        let key = ["id", "name", "index", "result", "family", "class"].first { self[attribute: $0] != nil }
        if let key, let value = self[attribute: key] { return "<\(name) \(key)=\"\(value)\">" }
        return "<\(name)>"
    }

    public static func == (lhs: LocatedElement, rhs: LocatedElement) -> Bool {
        lhs.name == rhs.name && lhs.text == rhs.text && lhs.children == rhs.children
            && lhs.attributes.map(\.name) == rhs.attributes.map(\.name)
            && lhs.attributes.map(\.value) == rhs.attributes.map(\.value)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(text)
        hasher.combine(children)
    }
}
