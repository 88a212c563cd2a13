import Foundation
import GSSA
import GSSAServer
import GSSAServerTesting
import Testing
import NIOHTTP1

/// One time base in the API: ISO-8601 UTC strings in summaries, stored events and WebSocket
/// events, and every run says when it was created, started and finished, and for how long.
@Suite("API time base (real server, SQLite, in-memory launcher)")
struct TimeBaseTests {
    /// `2026-11-30T12:39:55.123Z`: date, time, milliseconds, UTC.
    static func isISO(_ text: String?) -> Bool {
        guard let text else { return false }
        return text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil
    }

    @Test("created, started, finished, duration and every event time are ISO-8601 UTC, in order, near now")
    func isoTimes() async throws {
        try await TestServer.withServer(launcher: InMemoryLauncher()) { server in
            let before = Date().addingTimeInterval(-1)
            let guid = newGUID()
            let finalized = try await server.submit(guid: guid, xml: try TestServer.fixture("demo.xml"), token: server.alice,
                                                    archive: try TestServer.demoArchive())
            #expect(finalized.status == .ok)
            let fresh = try JSONSerialization.jsonObject(with: finalized.body) as? [String: Any] ?? [:]
            #expect(fresh["started"] == nil && fresh["finished"] == nil && fresh["duration"] == nil)

            let recorder = await EventRecorder.connect(base: server.base, token: server.alice, until: guid)
            #expect(try await server.start(guid: guid, token: server.alice).status == .accepted)
            let events = try await recorder.finish().filter { $0.guid == guid }
            #expect(!events.isEmpty)
            for event in events { #expect(event.timestamp.date >= before && event.timestamp.date <= Date().addingTimeInterval(1)) }

            let raw = try await server.request(.GET, "/api/v1/simulations/\(guid)", token: server.alice)
            let object = try #require(try JSONSerialization.jsonObject(with: raw.body) as? [String: Any])
            for key in ["created", "started", "finished"] {
                let text = try #require(object[key] as? String, "\(key) missing in \(object)")
                #expect(Self.isISO(text), "\(key) = \(text)")
            }
            let status = try #require(object["status"] as? [String: Any])
            #expect(Self.isISO(status["timestamp"] as? String))
            let summary = try raw.decode(SimulationSummary.self)
            let started = try #require(summary.started), finished = try #require(summary.finished)
            #expect(summary.created.date >= before && summary.created <= started && started <= finished)
            let duration = try #require(summary.duration)
            #expect(abs(duration - finished.date.timeIntervalSince(started.date)) < 0.002)

            let stored = try await server.request(.GET, "/api/v1/simulations/\(guid)/events", token: server.alice)
            let log = try #require(try JSONSerialization.jsonObject(with: stored.body) as? [String: Any])
            let entries = try #require(log["events"] as? [[String: Any]])
            #expect(!entries.isEmpty)
            for entry in entries { #expect(Self.isISO(entry["at"] as? String), "\(entry)") }
        }
    }

    @Test("Timestamp round-trips and refuses what is not ISO-8601")
    func codec() throws {
        let time = Timestamp(Date(timeIntervalSince1970: 1_796_027_276.5))
        #expect(time.description == "2026-11-30T08:27:56.500Z")
        let data = try JSONEncoder().encode(time)
        #expect(String(decoding: data, as: UTF8.self) == "\"2026-11-30T08:27:56.500Z\"")
        #expect(abs(try JSONDecoder().decode(Timestamp.self, from: data).date.timeIntervalSince(time.date)) < 0.001)
        #expect(Timestamp(iso8601: "2026-11-30T08:27:56Z") != nil)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Timestamp.self, from: Data("817720076.9".utf8)) }
    }
}
