import ContainerEngine
import Foundation
import GSSACore
import GSSAFuzzing
import LaunchDaemon
import LaunchProtocol
import NIOCore
import Testing

@Suite("Daemon frame fuzzing (in-memory engine)", .serialized)
struct FrameFuzzTests {
    static let regressions = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FuzzRegressions")

    /// Valid requests for every command, the seeds the mutator starts from.
    static func seeds(_ scratch: Scratch) throws -> [[UInt8]] {
        _ = try job(scratch, "seed", "exit 0")
        let input = scratch.root.appendingPathComponent("seed/input").path
        let output = scratch.root.appendingPathComponent("seed/output").path
        let lines = [
            "{\"command\":\"START\",\"arguments\":{\"guid\":\"f1\",\"image\":\"gssa/test\",\"input\":\"\(input)\",\"output\":\"\(output)\",\"limits\":{\"memory\":\"512m\",\"cpus\":1.5,\"pids\":64},\"walltime\":30,\"archive\":\"start.tar.gz\",\"target\":\"start.py\",\"interpreter\":\"python3\",\"logs\":true,\"author\":\"a\",\"max_output_bytes\":1048576}}",
            "{\"command\":\"START\",\"arguments\":{\"guid\":\"f2\",\"image\":\"gssa/test\",\"input\":\"\(input)\",\"output\":\"\(output)2\",\"limits\":{\"memory\":8388608}}}",
            "{\"command\":\"WAIT\",\"arguments\":{\"guid\":\"f1\",\"timeout\":0.05}}",
            "{\"command\":\"WAIT\",\"arguments\":null}",
            "{\"command\":\"DESTROY\",\"arguments\":{\"guid\":\"f2\"}}",
            "{\"command\":\"LOGS\",\"arguments\":{\"guid\":\"f1\",\"only\":\"stdout\"}}",
            "{\"command\":\"ATTACH\",\"arguments\":{\"guid\":\"f1\",\"logs\":true}}",
            "{\"command\":\"CONTAINER\"}",
            "{\"command\":\"USAGE\"}",
        ]
        return lines.map { Array($0.utf8) }
    }

    /// Sends `bytes` plus a newline and checks that every frame it makes gets one well-formed reply.
    static func exercise(_ client: Harness, _ bytes: [UInt8], outcomes: inout Set<String>) async throws {
        let frames = await client.feed(bytes: bytes + [0x0A])
        for _ in 0..<frames {
            let reply = try await client.reply()
            let object = try JSONSerialization.jsonObject(with: Data(reply.line.utf8)) as? [String: Any]
            #expect(object?["success"] is Bool, "reply without success: \(reply.line)")
            if reply.success == false {
                let message = object?["message"] as? String ?? ""
                #expect(!message.isEmpty, "failure without a message: \(reply.line)")
                outcomes.insert(String(message.prefix(while: { $0 != ":" && $0 != "'" }).prefix(60)))
            } else {
                outcomes.insert("success")
            }
        }
    }

    @Test func regressionFramesAreAnsweredAndTheDaemonSurvives() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = memoryEngine()
        try await withRunning(try memoryDaemon(engine, scratch: scratch)) { daemon in
            let client = Harness(daemon, uid: 0)
            let files = try FileManager.default.contentsOfDirectory(atPath: Self.regressions.path).filter { $0.hasSuffix(".jsonl") }
            #expect(files.count >= 3)
            var outcomes = Set<String>()
            for file in files.sorted() {
                let text = try String(contentsOf: Self.regressions.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    try await Self.exercise(client, Array(line.utf8), outcomes: &outcomes)
                }
            }
            // Every regression is a refusal, and a clear one.
            #expect(!outcomes.contains("success"), "\(outcomes)")
            let usage = try await client.request(.usage, RunArguments?.none)
            #expect(usage.success)
            await client.close()
        }
    }

    @Test func mutatedFramesNeverCrashOrHangTheDaemon() async throws {
        let environment = ProcessInfo.processInfo.environment
        // Bounded for every test run; GSSA_FUZZ_ITERATIONS / GSSA_FUZZ_SECONDS raise it for a nightly pass.
        let iterations = environment["GSSA_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 2000
        let seconds = environment["GSSA_FUZZ_SECONDS"].flatMap(Double.init) ?? 15
        let seed = environment["GSSA_FUZZ_SEED"].flatMap(UInt64.init) ?? 0x6755_7361
        // The seed is fixed, so the first `minimum` cases are the same on every machine: the coverage
        // check below depends on them, not on how many more a fast machine fits into the time.
        let minimum = min(iterations, 500)
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = memoryEngine()
        try await withRunning(try memoryDaemon(engine, scratch: scratch)) { daemon in
            let client = Harness(daemon, uid: 0)
            let seeds = try Self.seeds(scratch)
            var rng = FuzzRandom(seed: seed)
            var outcomes = Set<String>()
            // The case being run is on disk first, so that a crash leaves its crasher behind.
            let last = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gssa-frame-fuzz-last.jsonl")
            let started = Date()
            var done = 0
            // At least `minimum` cases whatever the machine's load (each is quick), then as many as
            // the time allows.
            while done < iterations, done < minimum || Date().timeIntervalSince(started) < seconds {
                let input = JSONLineMutator.mutate(seeds, using: &rng)
                try Data(input).write(to: last)
                try await Self.exercise(client, input, outcomes: &outcomes)
                done += 1
            }
            try? FileManager.default.removeItem(at: last)
            let usage = try await client.request(.usage, RunArguments?.none)
            #expect(usage.success)
            print("frame fuzzing: \(done) cases in \(Int(Date().timeIntervalSince(started))) s, \(outcomes.count) distinct outcomes")
            #expect(done >= minimum, "the fuzzer ran too few cases to mean anything")
            #expect(outcomes.count >= 12, "mutations reached only \(outcomes.sorted())")
            await client.close()
        }
    }

    @Test func decoderSplitsArbitraryBytesLikeTheReferenceModel() {
        var rng = FuzzRandom(seed: 42)
        for _ in 0..<300 {
            let max = Int.random(in: 1...64, using: &rng)
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...400, using: &rng) {
                bytes.append(Int.random(in: 0..<6, using: &rng) == 0 ? 0x0A : UInt8.random(in: 0...255, using: &rng))
            }
            // Reference: complete lines only; `\r` trimmed; empty lines skipped; longer than max → oversized.
            var expected: [String] = []
            var line: [UInt8] = []
            for byte in bytes {
                guard byte == 0x0A else {
                    line.append(byte)
                    continue
                }
                if line.count > max {
                    expected.append("oversized")
                } else {
                    var text = line
                    if text.last == 0x0D { text.removeLast() }
                    if !text.isEmpty { expected.append(text.map { String($0) }.joined(separator: ",")) }
                }
                line = []
            }
            var decoder = JSONLineFrameDecoder(maxFrameLength: max)
            var actual: [String] = []
            var offset = 0
            var buffer = ByteBuffer()
            while offset < bytes.count {
                let end = Swift.min(bytes.count, offset + Int.random(in: 1...50, using: &rng))
                buffer.writeBytes(bytes[offset..<end])
                offset = end
                while let frame = decoder.next(from: &buffer) {
                    switch frame {
                    case .oversized: actual.append("oversized")
                    case .line(let slice): actual.append(Array(slice.readableBytesView).map { String($0) }.joined(separator: ","))
                    }
                }
            }
            // An oversized line still unterminated at the end is reported early; drop that one.
            if actual.count == expected.count + 1, actual.last == "oversized", line.count > max { actual.removeLast() }
            #expect(actual == expected, "max \(max), bytes \(bytes)")
        }
    }
}
