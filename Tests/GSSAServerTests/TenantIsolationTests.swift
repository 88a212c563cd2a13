import Foundation
import GSSA
import GSSAArchive
import GSSAServer
import GSSAServerTesting
import NIOHTTP1
import Testing

/// One user can neither read another user's transferred files nor learn that another user's
/// GUID exists: every answer about someone else's GUID equals the answer about no GUID at all.
@Suite("Tenant isolation (real SQLite, in-memory launcher)")
struct TenantIsolationTests {
    /// The reply with GUIDs and per-run values (times, paths, ids) blanked, for comparison.
    static func normalized(_ reply: APIReply, guids: [String]) -> String {
        var text = String(decoding: reply.body, as: UTF8.self)
        for guid in guids.sorted(by: { $0.count > $1.count }) {
            text = text.replacingOccurrences(of: guid, with: "<GUID>").replacingOccurrences(of: guid.lowercased(), with: "<GUID>")
        }
        guard var object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            return "\(reply.status.code) \(text)"
        }
        for key in ["created", "directory", "location"] { object.removeValue(forKey: key) }
        if var status = object["status"] as? [String: Any] {
            status.removeValue(forKey: "timestamp")
            object["status"] = status
        }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return "\(reply.status.code) \(String(decoding: data, as: UTF8.self))"
    }

    @Test("B's reads, writes, prefixes and searches on A's GUID answer exactly as for a GUID nobody has")
    func noExistenceOracle() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let demo = try TestServer.fixture("demo.xml")
            let archive = try TestServer.demoArchive()
            // Alice: one finished run and two runs sharing a prefix (ambiguous for her).
            let secret = "PFXA0001-" + UUID().uuidString.prefix(8)
            let twin = "PFXA0002-" + UUID().uuidString.prefix(8)
            try await server.submit(guid: secret, xml: demo, token: server.alice, archive: archive)
            #expect(try await server.start(guid: secret, token: server.alice).status == .accepted)
            #expect(try await server.waitTerminal(secret, token: server.alice).state == .succeeded)
            #expect(try await server.request(.POST, "/api/v1/simulations/\(twin)/init", token: server.alice).status == .ok)
            #expect(try await server.request(.GET, "/api/v1/simulations/PFXA", token: server.alice).status == .conflict)
            let nobody = "PFXB0001-" + UUID().uuidString.prefix(8)
            let guids = [secret, twin, nobody, "PFXA", "PFXB"]

            // Every route that names a GUID, for a run that is not (yet) Bob's.
            let json = { (object: Any) in try! JSONSerialization.data(withJSONObject: object) }
            let routes: [(HTTPMethod, String, Data?)] = [
                (.GET, "", nil), (.DELETE, "", nil), (.GET, "/logs", nil), (.GET, "/properties", nil), (.GET, "/events", nil),
                (.GET, "/results", nil), (.GET, "/diagnostic", nil), (.POST, "/cancel", nil), (.POST, "/start", nil),
                (.POST, "/finalize", json(["directory": "."])), (.POST, "/files", json(["files": ["a.txt": "a.txt"]])),
                (.POST, "/request-files", json(["files": ["original.xml": "x.xml"]])), (.POST, "/results", json(["target": "x.tgz"])),
                (.POST, "/diagnostic", json(["target": "x.tgz"])),
            ]
            for (method, suffix, body) in routes {
                for (theirs, nobodys) in [(secret, nobody), ("PFXA", "PFXB")] {
                    let a = try await server.request(method, "/api/v1/simulations/\(theirs)\(suffix)", token: server.bob, body: body)
                    let b = try await server.request(method, "/api/v1/simulations/\(nobodys)\(suffix)", token: server.bob, body: body)
                    #expect(a.status == .notFound, "\(method) \(theirs)\(suffix): \(a.status)")
                    #expect(Self.normalized(a, guids: guids) == Self.normalized(b, guids: guids), "\(method) \(suffix)")
                }
            }
            for prefix in ["PFXA", secret] {
                let search = try await server.request(.GET, "/api/v1/simulations?prefix=\(prefix)", token: server.bob)
                #expect(search.status == .ok)
                #expect(try search.decode(API.SearchResult.self).simulations.isEmpty)
            }

            // Creating: Bob gets a run of his own under that GUID, exactly as under a fresh one.
            let fresh = "PFXC0001-" + UUID().uuidString.prefix(8)
            for (route, body, type) in [("init", nil, "application/json"), ("definition", Data(demo.utf8), "application/xml"),
                                        ("archive", archive, "application/gzip")] as [(String, Data?, String)] {
                let a = try await server.request(route == "init" ? .POST : .PUT, "/api/v1/simulations/\(secret)/\(route)",
                                                 token: server.bob, body: body, contentType: type)
                let b = try await server.request(route == "init" ? .POST : .PUT, "/api/v1/simulations/\(fresh)/\(route)",
                                                 token: server.bob, body: body, contentType: type)
                #expect(a.status == .ok, "\(route): \(a.errorMessage)")
                #expect(Self.normalized(a, guids: guids + [fresh]) == Self.normalized(b, guids: guids + [fresh]), "\(route)")
            }
            let bobs = try await server.summary(secret, token: server.bob)
            #expect(bobs.owner == "bob" && bobs.state == .created && bobs.guid == secret)

            // Alice's run is untouched, and each sees only their own under the shared GUID.
            let alices = try await server.summary(secret, token: server.alice)
            #expect(alices.owner == "alice" && alices.state == .succeeded)
            #expect(alices.directory != bobs.directory)
            let asAdmin = try await server.request(.GET, "/api/v1/simulations/\(secret)", token: server.admin)
            #expect(asAdmin.status == .conflict, "an admin sees both owners' runs of one GUID as ambiguous")
        }
    }

    @Test("the tmp transferrer is per user: B cannot pull what A pushed, by path, prefix or <input location>")
    func transferAreaIsPerUser() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let demo = try TestServer.fixture("demo.xml")
            let stl = try Data(contentsOf: TestServer.fixtures.appendingPathComponent("tumour.stl"))

            // Alice pushes her definition into her transfer area.
            let first = newGUID()
            #expect(try await server.submit(guid: first, xml: demo, token: server.alice, archive: TestServer.demoArchive()).status == .ok)
            let push = try await server.json(.POST, "/api/v1/simulations/\(first)/request-files", token: server.alice,
                                             ["files": ["original.xml": "shared/pushed.xml"]])
            #expect(push.status == .ok, "\(push.errorMessage)")
            let pushedTo = try #require(try push.decode(API.Pushed.self).pushed["original.xml"])
            #expect(pushedTo.hasPrefix(server.data.appendingPathComponent("transfer/alice/").path), "\(pushedTo)")

            // Both users have the surface in their own area, so only the pushed file differs.
            for user in ["alice", "bob"] {
                let area = server.data.appendingPathComponent("transfer/\(user)")
                try FileManager.default.createDirectory(at: area, withIntermediateDirectories: true)
                try stl.write(to: area.appendingPathComponent("tumour.stl"))
            }
            func pull(_ token: String, files: [String: String], directory: String = ".", xml: String? = nil) async throws -> APIReply {
                let guid = newGUID()
                #expect(try await server.request(.POST, "/api/v1/simulations/\(guid)/init", token: token).status == .ok)
                let upload = try await server.request(.PUT, "/api/v1/simulations/\(guid)/definition", token: token,
                                                      body: Data((xml ?? demo).utf8), contentType: "application/xml")
                #expect(upload.status == .ok)
                let listed = try await server.json(.POST, "/api/v1/simulations/\(guid)/files", token: token, ["files": files])
                guard listed.status == .ok else { return listed }
                return try await server.json(.POST, "/api/v1/simulations/\(guid)/finalize", token: token, ["directory": directory])
            }
            // Alice reads her own push back (the control that shows the path is right).
            let own = try await pull(server.alice, files: ["extra.xml": "shared/pushed.xml"])
            #expect(own.status == .ok, "\(own.errorMessage)")
            // Bob, with the same names, finds nothing; climbing out is refused.
            let stolen = try await pull(server.bob, files: ["extra.xml": "shared/pushed.xml"])
            #expect(stolen.status == .badRequest)
            #expect(stolen.errorCode == "E_CLIENT" && stolen.errorMessage.contains("not found"), "\(stolen.errorMessage)")
            #expect(!stolen.errorMessage.contains("alice"))
            let climbed = try await pull(server.bob, files: ["extra.xml": "../alice/shared/pushed.xml"])
            #expect(climbed.status == .badRequest)
            let viaDirectory = try await pull(server.bob, files: ["extra.xml": "pushed.xml"], directory: "../alice/shared")
            #expect(viaDirectory.status == .badRequest)
            // <input location> naming Alice's area (absolute or relative) is outside Bob's.
            try FileManager.default.copyItem(
                at: server.data.appendingPathComponent("runs").appendingPathComponent(
                    URL(fileURLWithPath: try await server.summary(first, token: server.alice).directory).lastPathComponent)
                    .appendingPathComponent("upload/input.tar.gz"),
                to: server.data.appendingPathComponent("transfer/alice/inputs.tar.gz"))
            for location in [server.data.appendingPathComponent("transfer/alice/inputs.tar.gz").path, "../alice/inputs.tar.gz"] {
                let xml = demo.replacingOccurrences(of: "<transferrer class=\"tmp\"/>",
                                                    with: "<transferrer class=\"tmp\"><input location=\"\(location)\"/></transferrer>")
                let reply = try await pull(server.bob, files: [:], xml: xml)
                #expect(reply.status == .badRequest && reply.errorMessage.contains("outside your transfer directory"), "\(reply.errorMessage)")
                let mine = try await pull(server.alice, files: [:], xml: xml.replacingOccurrences(of: "../alice/", with: ""))
                #expect(mine.status == .ok, "\(mine.errorMessage)")
            }
            // A symlink planted in Bob's area that points into Alice's is not followed.
            try FileManager.default.createSymbolicLink(
                atPath: server.data.appendingPathComponent("transfer/bob/link.xml").path,
                withDestinationPath: server.data.appendingPathComponent("transfer/alice/shared/pushed.xml").path)
            let linked = try await pull(server.bob, files: ["extra.xml": "link.xml"])
            #expect(linked.status == .badRequest && linked.errorMessage.contains("outside"), "\(linked.errorMessage)")
        }
    }
}
