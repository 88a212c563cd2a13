/// A minimal element tree that remembers source lines.
///
/// libxml2's DOM does not keep line numbers for us, and every GSSA-XML rejection must name its
/// line, so documents are read with the SAX parser (``XMLTreeReader``) into this tree instead.
///
/// Children live in a copy-on-write box whose teardown is iterative, so dropping a tree never
/// recurses once per level (a deep tree used to overflow the stack in the destructor);
/// equality and hashing walk the tree with an explicit stack for the same reason.
public struct LocatedElement: Sendable, Hashable {
    /// The element's local name, e.g. `region`.
    public var name: String
    /// Attributes in document order.
    public var attributes: [(name: String, value: String)]
    /// Concatenated character data directly inside this element.
    public var text: String
    /// The line on which the element starts in the source document (0 when built in code).
    public var line: Int
    /// Nil for a leaf, so leaves (most of a document) cost no allocation.
    private var box: ChildrenBox?

    /// Creates an element; `line` is 0 when it does not come from a document.
    public init(name: String, attributes: [(name: String, value: String)] = [], children: [LocatedElement] = [], text: String = "", line: Int = 0) {
        self.name = name
        self.attributes = attributes
        self.text = text
        self.line = line
        self.box = children.isEmpty ? nil : ChildrenBox(children)
    }

    /// The child elements in document order; a leaf has none.
    public var children: [LocatedElement] {
        get { box?.elements ?? [] }
        set { box = newValue.isEmpty ? nil : ChildrenBox(newValue) }
        _modify {
            if box == nil || !isKnownUniquelyReferenced(&box) { box = ChildrenBox(box?.elements ?? []) }
            yield &box!.elements
        }
    }

    /// The value of the first attribute with this name, or nil when absent.
    public subscript(attribute name: String) -> String? {
        attributes.first { $0.name == name }?.value
    }

    /// The direct children with this name, in document order.
    public func children(named name: String) -> [LocatedElement] { children.filter { $0.name == name } }
    /// The first direct child with this name, if any.
    public func child(named name: String) -> LocatedElement? { box?.elements.first { $0.name == name } }

    /// `<region id="r1">`, the form errors use to point at an element.
    public var tag: String {
        let key = ["id", "name", "index", "result", "family", "class"].first { self[attribute: $0] != nil }
        if let key, let value = self[attribute: key] { return "<\(name) \(key)=\"\(value)\">" }
        return "<\(name)>"
    }

    /// Elements in document order (pre-order), without recursion.
    public var descendantsAndSelf: [LocatedElement] {
        var result: [LocatedElement] = []
        var pending = [self]
        while let element = pending.popLast() {
            result.append(element)
            pending.append(contentsOf: element.children.reversed())
        }
        return result
    }

    private func sameNode(_ other: LocatedElement) -> Bool {
        name == other.name && text == other.text && attributes.count == other.attributes.count
            && zip(attributes, other.attributes).allSatisfy { $0.name == $1.name && $0.value == $1.value }
            && (box?.elements.count ?? 0) == (other.box?.elements.count ?? 0)
    }

    /// Structural equality: names, attributes (in order), text and children; line numbers do not count.
    public static func == (lhs: LocatedElement, rhs: LocatedElement) -> Bool {
        var pending = [(lhs, rhs)]
        while case let (left, right)? = pending.popLast() {
            guard left.sameNode(right) else { return false }
            guard let a = left.box, let b = right.box, a !== b else { continue }
            pending.append(contentsOf: zip(a.elements, b.elements))
        }
        return true
    }

    /// Hashes the whole tree without recursion, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        var pending = [self]
        while let element = pending.popLast() {
            hasher.combine(element.name)
            hasher.combine(element.text)
            hasher.combine(element.box?.elements.count ?? 0)
            if let box = element.box { pending.append(contentsOf: box.elements) }
        }
    }

    /// Takes a uniquely owned child box's elements, leaving it empty (see ``ChildrenBox``).
    fileprivate mutating func takeChildrenIfUnique() -> [LocatedElement] {
        guard box != nil, isKnownUniquelyReferenced(&box) else { return [] }
        var taken: [LocatedElement] = []
        swap(&taken, &box!.elements)
        return taken
    }
}

/// Children storage. Its `deinit` dismantles the subtree with a work list: before an element is
/// released, the children it alone owns are moved onto the list, so no release ever triggers
/// another box's non-empty `deinit` inside this one.
///
/// `@unchecked Sendable`: `elements` is only mutated through ``LocatedElement/children``'s
/// accessors after a uniqueness check (copy on write), or in `deinit`, when nobody else holds it.
private final class ChildrenBox: @unchecked Sendable {
    var elements: [LocatedElement]

    init(_ elements: [LocatedElement]) { self.elements = elements }

    deinit {
        guard !elements.isEmpty else { return }
        var pending: [LocatedElement] = []
        swap(&pending, &elements)
        while var element = pending.popLast() {
            pending.append(contentsOf: element.takeChildrenIfUnique())
        }
    }
}
