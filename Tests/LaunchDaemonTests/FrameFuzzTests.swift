import ContainerEngine
import Foundation
import GSSACore
import LaunchDaemon
import LaunchProtocol
import NIOCore
import Testing

/// A small, deterministic PRNG (SplitMix64): the same seed gives the same fuzz cases everywhere.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Mutations of JSON request lines: bit flips, byte insertions and deletions, duplicated and
/// spliced ranges, and, most usefully here, numbers and strings swapped for hostile ones.
enum FrameMutator {
    static let numbers = [
        "1e19", "-1", "0", "-0", "1e308", "1e400", "-1e400", "9223372036854775807", "9223372036854775808",
        "-9223372036854775809", "1e-10", "0.001", "0.01", "NaN", "Infinity", "1.7976931348623157e308", "4.9e-324",
        "18446744073709551616", "\"12\"", "null", "true", "[]", "{}", "31536001", "2147483648", "-2147483649",
    ]
    static let strings = [
        "\"\"", "\"../../etc\"", "\"/\"", "\"/etc/shadow\"", "\"\\u0000\"", "\"\(String(repeating: "A", count: 5000))\"",
        "\"\\ud800\"", "\"é\"", "\"STARTx\"", "\"stdout\"", "\"stderr\"", "\"gssa/test\"",
    ]
    static let bytes: [UInt8] = [0x00, 0xFF, 0xC3, 0x80, 0x22, 0x7B, 0x7D, 0x5B, 0x5D, 0x5C, 0x2C, 0x3A, 0x0D, 0x0A, 0x20, 0x2D, 0x2E, 0x65]

    static func mutate(_ seeds: [[UInt8]], rng: inout SplitMix64) -> [UInt8] {
        var data = seeds.randomElement(using: &rng)!
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            data = self.once(data, seeds: seeds, rng: &rng)
        }
        return data
    }

    private static func once(_ input: [UInt8], seeds: [[UInt8]], rng: inout SplitMix64) -> [UInt8] {
        var data = input
        if data.isEmpty { return [bytes.randomElement(using: &rng)!] }
        let at = Int.random(in: 0..<data.count, using: &rng)
        switch Int.random(in: 0..<9, using: &rng) {
        case 0: data[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
        case 1: data.insert(bytes.randomElement(using: &rng)!, at: at)
        case 2: data.removeSubrange(at..<min(data.count, at + Int.random(in: 1...8, using: &rng)))
        case 3:
            let end = min(data.count, at + Int.random(in: 1...16, using: &rng))
            data.insert(contentsOf: data[at..<end], at: at)
        case 4, 5: data = self.replaceToken(data, digits: true, rng: &rng)
        case 6: data = self.replaceToken(data, digits: false, rng: &rng)
        case 7:
            let other = seeds.randomElement(using: &rng)!
            data = Array(data[..<at]) + Array(other[Int.random(in: 0..<other.count, using: &rng)...])
        default: data = Array(data[..<at])
        }
        return data
    }

    /// Replaces one number (or one string literal) with a hostile one.
    private static func replaceToken(_ data: [UInt8], digits: Bool, rng: inout SplitMix64) -> [UInt8] {
        var spans: [Range<Int>] = []
        var index = 0
        while index < data.count {
            if digits, data[index] == UInt8(ascii: "-") || (0x30...0x39).contains(data[index]) {
                var end = index + 1
                while end < data.count, (0x30...0x39).contains(data[end]) || [0x2E, 0x65, 0x45, 0x2B, 0x2D].contains(data[end]) {
                    end += 1
                }
                spans.append(index..<end)
                index = end
            } else if !digits, data[index] == 0x22 {
                var end = index + 1
                while end < data.count, data[end] != 0x22 { end += data[end] == 0x5C ? 2 : 1 }
                end = min(end + 1, data.count)
                spans.append(index..<end)
                index = end
            } else {
                index += 1
            }
        }
        guard let span = spans.randomElement(using: &rng) else { return data }
        let replacement = digits ? numbers.randomElement(using: &rng)! : strings.randomElement(using: &rng)!
        var result = data
        result.replaceSubrange(span, with: Array(replacement.utf8))
        return result
    }
}

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
            "{\"command\":\"WAIT\",\"arguments\":{\"guid\":\"f1\",\"timeout\":0.5}}",
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
        let scratch = try Scratch()
        defer { scratch.remove() }
        let engine = memoryEngine()
        try await withRunning(try memoryDaemon(engine, scratch: scratch)) { daemon in
            let client = Harness(daemon, uid: 0)
            let seeds = try Self.seeds(scratch)
            var rng = SplitMix64(seed: seed)
            var outcomes = Set<String>()
            // The case being run is on disk first, so that a crash leaves its crasher behind.
            let last = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gssa-frame-fuzz-last.jsonl")
            let started = Date()
            var done = 0
            while done < iterations, Date().timeIntervalSince(started) < seconds {
                let input = FrameMutator.mutate(seeds, rng: &rng)
                try Data(input).write(to: last)
                try await Self.exercise(client, input, outcomes: &outcomes)
                done += 1
            }
            try? FileManager.default.removeItem(at: last)
            let usage = try await client.request(.usage, RunArguments?.none)
            #expect(usage.success)
            print("frame fuzzing: \(done) cases in \(Int(Date().timeIntervalSince(started))) s, \(outcomes.count) distinct outcomes")
            #expect(done >= min(iterations, 200), "the fuzzer ran too few cases to mean anything")
            #expect(outcomes.count >= 12, "mutations reached only \(outcomes.sorted())")
            await client.close()
        }
    }

    @Test func decoderSplitsArbitraryBytesLikeTheReferenceModel() {
        var rng = SplitMix64(seed: 42)
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
