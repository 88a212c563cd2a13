import Foundation

extension SimulationDefinition {
    /// Parses and validates GSSA-XML.
    ///
    /// Follows what the original *code* accepts (see docs/gssa-xml.md): `definition@family`,
    /// JSON-array `groups`, needle `file` falling back to `input`, bare needle files meaning
    /// `transfer:`. Every rejection is an `E_CLIENT` error naming the line and element.
    public static func parse(_ data: Data) throws(GSSAError) -> SimulationDefinition {
        try GSSAXMLParser(root: XMLTreeReader.read(data)).parse()
    }

    /// Parses and validates GSSA-XML given as text, as the `Data` overload does.
    public static func parse(_ text: String) throws(GSSAError) -> SimulationDefinition {
        try parse(Data(text.utf8))
    }

    /// Reads a definition file, refusing it by size (`InputLimits.maximumDefinitionBytes`) first.
    public static func parse(contentsOf url: URL) throws(GSSAError) -> SimulationDefinition {
        try parse(XMLTreeReader.loading(url, what: "definition"))
    }
}

/// Turns an ``LocatedElement`` tree into a ``SimulationDefinition``.
struct GSSAXMLParser {
    let root: LocatedElement

    func parse() throws(GSSAError) -> SimulationDefinition {
        guard root.name == "simulationDefinition" else {
            throw fail(root, "root element must be <simulationDefinition>, found <\(root.name)>")
        }
        try single(root, "transferrer")
        try single(root, "parameters")
        try single(root, "algorithms")
        try single(root, "numericalModel")
        guard let model = root.child(named: "numericalModel") else {
            throw fail(root, "numericalModel is missing")
        }
        try single(model, "definition")
        try single(model, "needles")
        try single(model, "regions")
        guard let definitionNode = model.child(named: "definition") else {
            throw fail(model, "definition is missing from numericalModel")
        }
        return SimulationDefinition(
            transferrer: try root.child(named: "transferrer").map(transferrer),
            algorithms: try root.child(named: "algorithms").map(algorithms) ?? [],
            parameters: try root.child(named: "parameters").map(parameters) ?? ParameterSet(),
            needles: try model.child(named: "needles").map(needles) ?? [],
            regions: try model.child(named: "regions").map(regions) ?? [],
            definition: try definition(definitionNode)
        )
    }

    private func fail(_ node: LocatedElement, _ reason: String, attribute: String? = nil) -> GSSAError {
        GSSAError.client(reason, line: node.line, element: node.tag, attribute: attribute)
    }

    private func single(_ node: LocatedElement, _ name: String) throws(GSSAError) {
        let found = node.children(named: name)
        if found.count > 1 {
            throw fail(found[1], "more than one <\(name)> in <\(node.name)>")
        }
    }

    private func required(_ node: LocatedElement, _ attribute: String) throws(GSSAError) -> String {
        guard let value = node[attribute: attribute], !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw fail(node, "\(attribute) attribute is required", attribute: attribute)
        }
        return value
    }

    private func transferrer(_ node: LocatedElement) throws(GSSAError) -> TransferrerConfiguration {
        let kind = try required(node, "class")
        func text(_ name: String) -> String? {
            node.child(named: name).map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        var port: Int?
        if let portText = text("port"), !portText.isEmpty {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw fail(node.child(named: "port")!, "port is not a TCP port number: \(portText)")
            }
            port = value
        }
        let input = node.child(named: "input")
        return TransferrerConfiguration(
            kind: kind, url: text("url"), output: text("output"), inputLocation: input?[attribute: "location"],
            host: text("host"), port: port, keyFile: text("keyFile"), line: node.line)
    }

    private func algorithms(_ node: LocatedElement) throws(GSSAError) -> [Algorithm] {
        var seen: Set<String> = []
        var result: [Algorithm] = []
        for element in node.children(named: "algorithm") {
            let name = try required(element, "result")
            guard seen.insert(name).inserted else {
                throw fail(element, "duplicate algorithm result \(name)", attribute: "result")
            }
            var arguments: [String] = []
            for argument in element.child(named: "arguments")?.children(named: "argument") ?? [] {
                arguments.append(try required(argument, "name"))
            }
            let content = element.child(named: "content")?.text ?? ""
            result.append(Algorithm(result: name, arguments: arguments, content: content, line: element.line))
        }
        return result
    }

    private func parameters(_ node: LocatedElement) throws(GSSAError) -> ParameterSet {
        var set = ParameterSet()
        for element in node.children(named: "parameter") {
            let name = try required(element, "name")
            if set.contains(name) {
                throw fail(element, "duplicate parameter \(name) (first at line \(set[name]?.line ?? 0))", attribute: "name")
            }
            set[name] = Parameter(name: name, rawValue: element[attribute: "value"], type: element[attribute: "type"], line: element.line)
        }
        return set
    }

    private func needles(_ node: LocatedElement) throws(GSSAError) -> [Needle] {
        var result: [Needle] = []
        var lines: [String: Int] = [:]
        for element in node.children(named: "needle") {
            let index = try required(element, "index")
            if let first = lines[index] {
                throw fail(element, "duplicate needle index \(index) (first at line \(first))", attribute: "index")
            }
            guard SafePath.isSafeComponent(index) else {
                throw fail(element, "needle index must be a plain name, not a path: \(index)", attribute: "index")
            }
            lines[index] = element.line
            let needleClass = try required(element, "class")
            let attribute = element[attribute: "file"] != nil ? "file" : "input"
            guard let rawFile = element[attribute: attribute], !rawFile.isEmpty else {
                throw fail(element, "file attribute is required (or input)", attribute: "file")
            }
            let file: FileReference
            do {
                file = try FileReference(parsing: rawFile)
            } catch {
                throw fail(element, error.reason, attribute: attribute)
            }
            if file.isFile && !SafePath.isSafeRelative(file.value) {
                throw fail(element, "\(attribute) must be a relative name without '..': \(rawFile)", attribute: attribute)
            }
            let parameters = try element.child(named: "parameters").map(parameters) ?? ParameterSet()
            result.append(Needle(index: index, needleClass: needleClass, file: file, parameters: parameters, line: element.line))
        }
        return result
    }

    private func regions(_ node: LocatedElement) throws(GSSAError) -> [Region] {
        var result: [Region] = []
        var lines: [String: Int] = [:]
        for element in node.children(named: "region") {
            let id = try required(element, "id")
            if let first = lines[id] {
                throw fail(element, "duplicate region id \(id) (first at line \(first))", attribute: "id")
            }
            guard SafePath.isSafeComponent(id) else {
                throw fail(element, "region id must be a plain name, not a path: \(id)", attribute: "id")
            }
            lines[id] = element.line
            let name = try required(element, "name")
            let formatText = try required(element, "format")
            guard let format = Region.Format(rawValue: formatText) else {
                throw fail(
                    element, "unknown region format '\(formatText)' (expected surface, zone, both or mesh)",
                    attribute: "format")
            }
            var input = try required(element, "input")
            if let colon = input.firstIndex(of: ":"), !input[..<colon].contains("/") {
                input = String(input[input.index(after: colon)...])
            }
            guard SafePath.isSafeRelative(input) else {
                throw fail(element, "input must be a relative name without '..': \(input)", attribute: "input")
            }
            var groups: [String] = []
            if let groupsText = element[attribute: "groups"], !groupsText.trimmingCharacters(in: .whitespaces).isEmpty {
                guard case .array(let values)? = ParameterValue.parseJSON(groupsText),
                    values.allSatisfy({ $0.stringValue != nil })
                else {
                    throw fail(element, "groups is not a JSON array of strings: \(groupsText)", attribute: "groups")
                }
                groups = values.compactMap(\.stringValue)
            }
            result.append(Region(id: id, name: name, format: format, input: input, groups: groups, line: element.line))
        }
        return result
    }

    private func definition(_ node: LocatedElement) throws(GSSAError) -> ModelDefinition {
        let family = try required(node, "family")
        if let location = node[attribute: "location"], !location.isEmpty {
            guard location.hasSuffix(".tar.gz") else {
                throw fail(node, "location must name a .tar.gz archive: \(location)", attribute: "location")
            }
            return ModelDefinition(family: family, source: .location(location), line: node.line)
        }
        var text = node.text
        // Drop the blank lines between the tag and the script, counting them, so that the
        // script's first line is known in the XML file (tracebacks can then use XML lines).
        var dropped = 0
        while let newline = text.firstIndex(of: "\n"),
            text[..<newline].allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" })
        {
            text = String(text[text.index(after: newline)...])
            dropped += 1
        }
        if text.allSatisfy(\.isWhitespace) { text = "" }
        return ModelDefinition(family: family, source: .inline(text), line: node.line, textLine: node.line + dropped)
    }
}
