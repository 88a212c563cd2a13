import Foundation
import GSSA
import GSSAServer
import GSSAServerTesting
import NIOHTTP1
import Testing
import Yams

/// `docs/openapi.yaml` is valid, names every GSSA RPC, and the server answers each declared
/// operation with a declared status and a body of the declared shape.
@Suite("OpenAPI spec")
struct OpenAPITests {
    static let specURL = TestServer.repositoryRoot.appendingPathComponent("docs/openapi.yaml")

    static func loadSpec() throws -> [String: Any] {
        let text = try String(contentsOf: specURL, encoding: .utf8)
        guard let spec = try Yams.load(yaml: text) as? [String: Any] else { throw GSSAError.client("openapi.yaml is not a mapping") }
        return spec
    }

    static let methods = ["get", "put", "post", "delete"]

    @Test("the spec is OpenAPI 3, every $ref resolves, and every GSSA RPC has an operation")
    func specIsValid() throws {
        let spec = try Self.loadSpec()
        #expect((spec["openapi"] as? String)?.hasPrefix("3.") == true)
        let paths = try #require(spec["paths"] as? [String: Any])
        var operationIDs: [String] = []
        for (path, item) in paths {
            let item = try #require(item as? [String: Any], "\(path)")
            for method in Self.methods {
                guard let operation = item[method] as? [String: Any] else { continue }
                let id = try #require(operation["operationId"] as? String, "\(method) \(path)")
                operationIDs.append(id)
                let responses = try #require(operation["responses"] as? [String: Any], "\(id)")
                #expect(!responses.isEmpty, "\(id) declares no responses")
            }
        }
        #expect(Set(operationIDs).count == operationIDs.count, "duplicate operationId")
        let rpcs = ["init", "updateSettingsXML", "updateFiles", "finalize", "start", "cancel", "logs", "requestFiles",
                    "requestResults", "requestDiagnostic", "clean", "properties", "retrieveStatus", "search", "compare",
                    "api", "events"]
        for rpc in rpcs { #expect(operationIDs.contains(rpc), "no operation for RPC \(rpc)") }
        var unresolved: [String] = []
        func walk(_ node: Any) {
            if let map = node as? [String: Any] {
                if let ref = map["$ref"] as? String, SchemaValidator(spec: spec).resolve(ref) == nil { unresolved.append(ref) }
                map.values.forEach(walk)
            } else if let list = node as? [Any] {
                list.forEach(walk)
            }
        }
        walk(spec)
        #expect(unresolved.isEmpty, "unresolved: \(unresolved)")
    }

    @Test("each endpoint answers with a declared status and the shape it declares")
    func endpointsMatchSpec() async throws {
        let spec = try Self.loadSpec()
        let validator = SchemaValidator(spec: spec)
        let paths = try #require(spec["paths"] as? [String: Any])
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let archive = try TestServer.demoArchive()
            let demo = try TestServer.fixture("demo.xml")

            // A finished run for the read-only operations.
            let done = newGUID()
            try await server.submit(guid: done, xml: demo, token: server.alice, archive: archive)
            _ = try await server.start(guid: done, token: server.alice)
            _ = try await server.waitTerminal(done, token: server.alice)

            func body(for id: String) -> (Data?, String) {
                func json(_ object: Any) -> (Data?, String) { (try! JSONSerialization.data(withJSONObject: object), "application/json") }
                switch id {
                case "updateSettingsXML": return (Data(demo.utf8), "application/xml")
                case "uploadInputArchive": return (archive, "application/gzip")
                case "updateFiles": return json(["files": ["input/extra.stl": "tumour.stl"]])
                case "finalize": return json(["directory": "."])
                case "requestFiles": return json(["files": ["original.xml": "pushed/original.xml"]])
                case "requestResults", "requestDiagnostic": return json(["target": "pushed/\(id).tgz"])
                case "compare": return json(["left": demo, "right": demo.replacingOccurrences(of: "\"0.05\"", with: "\"0.07\"")])
                default: return (nil, "application/json")
                }
            }

            var checked: [String] = []
            func exercise(_ path: String, _ method: String, guid: String) async throws {
                let item = paths[path] as! [String: Any]
                let operation = item[method] as! [String: Any]
                let id = operation["operationId"] as! String
                guard operation["x-websocket"] as? Bool != true else { return }
                let open = (operation["security"] as? [Any])?.isEmpty == true
                let (payload, contentType) = body(for: id)
                let reply = try await server.request(HTTPMethod(rawValue: method.uppercased()), path.replacingOccurrences(of: "{guid}", with: guid).replacingOccurrences(of: "{scope}", with: "project").replacingOccurrences(of: "{name}", with: "alice"),
                                                     token: open ? nil : server.alice, body: payload, contentType: contentType)
                let responses = operation["responses"] as! [String: Any]
                let code = String(reply.status.code)
                guard let declared = responses[code] else {
                    Issue.record("\(method.uppercased()) \(path) (\(id)) answered \(code), which the spec does not declare: \(String(decoding: reply.body, as: UTF8.self))")
                    return
                }
                let response = validator.resolveResponse(declared)
                if let content = response["content"] as? [String: Any] {
                    if let media = content["application/json"] as? [String: Any], let schema = media["schema"] {
                        let value = try JSONSerialization.jsonObject(with: reply.body, options: [.fragmentsAllowed])
                        let problems = validator.validate(value, schema: schema, at: id)
                        #expect(problems.isEmpty, "\(id) \(code): \(problems)")
                    } else if content["application/gzip"] != nil {
                        #expect(reply.body.prefix(2) == Data([0x1f, 0x8b]), "\(id): not gzip")
                    } else if content["text/plain"] != nil {
                        #expect(!reply.body.isEmpty)
                    }
                }
                checked.append("\(id) \(code)")
            }

            // Fresh run, mutating operations in lifecycle order (the 2xx paths).
            let fresh = newGUID()
            for (path, method) in [("/api/v1/simulations/{guid}/init", "post"), ("/api/v1/simulations/{guid}/definition", "put"),
                                   ("/api/v1/simulations/{guid}/archive", "put"), ("/api/v1/simulations/{guid}/files", "post"),
                                   ("/api/v1/simulations/{guid}/finalize", "post"), ("/api/v1/simulations/{guid}/start", "post"),
                                   ("/api/v1/simulations/{guid}/cancel", "post")] {
                try await exercise(path, method, guid: fresh)
            }
            // Every declared operation on the finished run; clean last.
            var all: [(String, String)] = []
            for (path, item) in paths.sorted(by: { $0.key < $1.key }) {
                for method in Self.methods where (item as! [String: Any])[method] != nil { all.append((path, method)) }
            }
            all.sort { ($0.1 == "delete" ? 1 : 0) < ($1.1 == "delete" ? 1 : 0) }
            for (path, method) in all { try await exercise(path, method, guid: done) }
            #expect(checked.count >= 25, "\(checked)")
            #expect(checked.contains("start 202") && checked.contains("finalize 200") && checked.contains("downloadResults 200"))
        }
    }
}

/// Just enough JSON Schema (the OpenAPI 3.0 subset the spec uses) to check response shapes.
struct SchemaValidator {
    let spec: [String: Any]

    func resolve(_ ref: String) -> [String: Any]? {
        guard ref.hasPrefix("#/") else { return nil }
        var node: Any? = spec
        for part in ref.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(part)] }
        return node as? [String: Any]
    }

    func resolveResponse(_ response: Any) -> [String: Any] {
        guard let map = response as? [String: Any] else { return [:] }
        if let ref = map["$ref"] as? String { return resolve(ref) ?? [:] }
        return map
    }

    func validate(_ value: Any, schema: Any, at path: String) -> [String] {
        guard var schema = schema as? [String: Any] else { return ["\(path): schema is not a mapping"] }
        if let ref = schema["$ref"] as? String {
            guard let resolved = resolve(ref) else { return ["\(path): unresolved \(ref)"] }
            schema = resolved
        }
        var problems: [String] = []
        switch schema["type"] as? String {
        case "object":
            guard let object = value as? [String: Any] else { return ["\(path): expected an object, got \(value)"] }
            for key in schema["required"] as? [String] ?? [] where object[key] == nil || object[key] is NSNull {
                problems.append("\(path): missing required '\(key)'")
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, child) in object {
                if let property = properties[key] {
                    problems += validate(child, schema: property, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"] {
                    problems += validate(child, schema: additional, at: "\(path).\(key)")
                } else if !properties.isEmpty {
                    problems.append("\(path): undeclared property '\(key)'")
                }
            }
        case "array":
            guard let array = value as? [Any] else { return ["\(path): expected an array"] }
            if let items = schema["items"] {
                for (index, element) in array.enumerated() { problems += validate(element, schema: items, at: "\(path)[\(index)]") }
            }
        case "string":
            guard let string = value as? String else { return ["\(path): expected a string, got \(value)"] }
            if let options = schema["enum"] as? [String], !options.contains(string) { problems.append("\(path): '\(string)' not in \(options)") }
        case "integer":
            guard let number = value as? NSNumber, number.doubleValue == number.doubleValue.rounded() else { return ["\(path): expected an integer"] }
        case "number":
            guard value is NSNumber else { return ["\(path): expected a number"] }
        case "boolean":
            guard value is Bool || value is NSNumber else { return ["\(path): expected a boolean"] }
        default:
            break
        }
        return problems
    }
}
