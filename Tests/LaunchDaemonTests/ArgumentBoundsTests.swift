import ContainerEngine
import Foundation
import GSSACore
import LaunchDaemon
import LaunchProtocol
import Testing
import ContainerEngineTesting

/// Every number in a frame is checked before use: refusals are E_CLIENT and name the field and
/// the bound; nothing traps (the daemon used to die on `WAIT {timeout: 1e19}`).
@Suite("Daemon argument bounds (in-memory engine)")
struct ArgumentBoundsTests {
    /// Sends one raw request line and returns the reply's message.
    private func refusal(_ client: Harness, _ line: String) async throws -> String {
        await client.feed(line + "\n")
        let reply = try await client.reply()
        #expect(!reply.success, "accepted: \(line)")
        let object = try JSONSerialization.jsonObject(with: Data(reply.line.utf8)) as? [String: Any]
        return object?["message"] as? String ?? ""
    }

    @Test func waitTimeoutsOutsideTheirBoundsAreRefusedNotTrappedOn() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = memoryEngine()
        try await withRunning(try memoryDaemon(engine, scratch: scratch)) { daemon in
            let client = Harness(daemon, uid: 7)
            #expect(try await client.request(.start, try job(scratch, "w", "hang")).success)
            for timeout in ["1e19", "-1", "1e308", "31536001"] {
                let message = try await self.refusal(client, "{\"command\":\"WAIT\",\"arguments\":{\"guid\":\"w\",\"timeout\":\(timeout)}}")
                #expect(message.contains("WAIT: timeout") && message.contains("[0, 31536000]"), "\(timeout): \(message)")
            }
            // In range: a real WAIT timeout still kills, and the outcome names it.
            let waited = try await client.request(.wait, WaitArguments(guid: "w", timeout: 0.2))
            #expect(waited.success && waited.line.contains("\"timed_out\":true"), "\(waited.line)")
            #expect(waited.line.contains("timed_out_after"), "\(waited.line)")
            #expect(try await client.request(.usage, RunArguments?.none).success, "the daemon is alive")
            await client.close()
        }
    }

    @Test func startNumbersOutsideTheirBoundsAreRefusedNamingTheField() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = memoryEngine()
        try await withRunning(try memoryDaemon(engine, scratch: scratch)) { daemon in
            let client = Harness(daemon, uid: 7)
            let args = try job(scratch, "n", "exit 0")
            func start(_ extra: String) -> String {
                "{\"command\":\"START\",\"arguments\":{\"guid\":\"n\",\"image\":\"gssa/test\",\"input\":\"\(args.input)\",\"output\":\"\(args.output)\",\(extra)}}"
            }
            let cases: [(String, String, String)] = [
                ("\"walltime\":1e19", "walltime", "(0, 86400]"),
                ("\"walltime\":-3", "walltime", "(0, 86400]"),
                ("\"walltime\":0", "walltime", "(0, 86400]"),
                ("\"limits\":{\"cpus\":1e-10}", "limits.cpus", "Docker's minimum is 0.01 CPU"),
                ("\"limits\":{\"cpus\":0.001}", "limits.cpus", "[0.01, 2]"),
                ("\"limits\":{\"cpus\":1e300}", "limits.cpus", "[0.01, 2]"),
                ("\"limits\":{\"memory\":-1}", "limits.memory", "out of range"),
                ("\"limits\":{\"memory\":1e30}", "limits.memory", "argument 'limits.memory'"),
                ("\"limits\":{\"pids\":-9223372036854775808}", "limits.pids", "[8, 4096]"),
                ("\"limits\":{\"pids\":100000000000}", "limits.pids", "[8, 4096]"),
                ("\"max_output_bytes\":0", "max_output_bytes", "[1, 2147483648]"),
                ("\"max_output_bytes\":9223372036854775807", "max_output_bytes", "[1, 2147483648]"),
            ]
            for (extra, field, bound) in cases {
                let message = try await self.refusal(client, start(extra))
                #expect(message.contains(field) && message.contains(bound), "\(extra): \(message)")
            }
            #expect(engine.containerIDs.isEmpty, "no container for a refused START")
            #expect(try await client.request(.start, args).success, "the same START with sane numbers runs")
            _ = try await client.exit(of: "n")
            await client.close()
        }
    }

    @Test func configurationNumbersAreBounded() throws {
        let base = "socket: /x\ndata_root: /y\nallowed_images: []\nrunner: /r\n"
        let cases: [(String, String)] = [
            ("walltime: .inf\n", "walltime"),
            ("max_walltime: 1e19\n", "max_walltime"),
            ("stop_grace: -1\n", "stop_grace"),
            ("max_limits: {cpus: 0.001}\n", "max_limits"),
            ("default_limits: {cpus: 4}\nmax_limits: {cpus: 2}\n", "default_limits"),
            ("max_output_bytes: 0\n", "max_output_bytes"),
            ("max_output_bytes: lots\n", "max_output_bytes"),
        ]
        for (extra, key) in cases {
            #expect(performing: { try DaemonConfiguration.parse(yaml: base + extra, file: "dl.yml") }, throws: { error in
                (error as? GSSAError)?.code == .client && "\(error)".contains(key) && "\(error)".contains("dl.yml")
            })
        }
        let parsed = try DaemonConfiguration.parse(yaml: base + "max_output_bytes: 512m\nmax_output_entries: 10\n")
        #expect(parsed.maxOutputBytes == 512 << 20 && parsed.maxOutputEntries == 10)
    }

    /// A misspelt key would silently leave its default in force (a memory limit, a walltime):
    /// the file is refused, naming the key, its line and what is known there.
    @Test func unknownConfigurationKeysAreRefusedByName() throws {
        let base = "socket: /x\ndata_root: /y\nallowed_images: []\nrunner: /r\n"
        let cases: [(String, String, String)] = [
            ("max_wallltime: 60\n", "'max_wallltime' (line 5)", "max_walltime"),
            ("default_limits: {memroy: 1g}\n", "'default_limits.memroy'", "memory"),
            ("swarm: {manager: unix:///m, sharedroot: /s}\n", "'swarm.sharedroot'", "shared_root"),
        ]
        for (extra, named, known) in cases {
            #expect(performing: { try DaemonConfiguration.parse(yaml: base + extra, file: "dl.yml") }, throws: { error in
                let text = "\(error)"
                return (error as? GSSAError)?.code == .client && text.contains("dl.yml: unknown key " + named) && text.contains(known)
            })
        }
        // Every key of the shipped configuration is known.
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("packaging/debian/dockerlaunch.yml")
        _ = try DaemonConfiguration.parse(yaml: try String(contentsOf: shipped, encoding: .utf8), file: shipped.path)
    }
}
