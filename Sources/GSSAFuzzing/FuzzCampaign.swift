import Foundation

/// One bounded, deterministic fuzzing run of one target.
///
/// Case `i` is always the same mutant (seeded per case, see ``FuzzRandom/init(seed:case:)``), so
/// a failure names a case that replays anywhere. Bounds: a case count (default per target,
/// raised with `GSSA_FUZZ_CASES` for a nightly pass) and a time budget (`GSSA_FUZZ_SECONDS`,
/// a safeguard that ends the campaign early and says so). With `GSSA_FUZZ_ARTIFACTS=DIR`, each
/// input is written to `DIR/<target>.in-flight` before it runs, so an input that kills the
/// process (a trap cannot be caught) is on disk afterwards, and inputs that fail the target's
/// contract are kept as `DIR/<target>-case-<i>.bin`.
public struct FuzzCampaign: Sendable {
    public let target: String
    public let seed: UInt64
    public let cases: Int
    public let timeBudget: Duration
    public var mutator: Mutator

    /// What a campaign did, for assertions and docs/fuzzing.md.
    public struct Report: Sendable, CustomStringConvertible {
        public var target: String
        public var casesRun = 0
        /// Outcomes by label (e.g. `accepted`, `E_CLIENT`), counted.
        public var outcomes: [String: Int] = [:]
        /// Cases that broke the target's contract, with what happened.
        public var failures: [(index: Int, problem: String)] = []
        public var stoppedByTime = false
        public var elapsed: Duration = .zero

        public var description: String {
            let counts = outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "\(target): \(casesRun) cases in \(elapsed) (\(counts))\(stoppedByTime ? ", stopped by the time budget" : "")"
                + (failures.isEmpty ? "" : "; failures: " + failures.prefix(5).map { "case \($0.index): \($0.problem)" }.joined(separator: "; "))
        }
    }

    public init(
        target: String, seed: UInt64, defaultCases: Int, defaultSeconds: Int = 60, mutator: Mutator = Mutator(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.target = target
        self.seed = seed
        self.cases = environment["GSSA_FUZZ_CASES"].flatMap { Int($0) }.map { max($0, 1) } ?? defaultCases
        self.timeBudget = .seconds(environment["GSSA_FUZZ_SECONDS"].flatMap { Int($0) } ?? defaultSeconds)
        self.mutator = mutator
        self.artifacts = environment["GSSA_FUZZ_ARTIFACTS"].map { URL(fileURLWithPath: $0) }
    }

    private let artifacts: URL?

    /// The mutant of case `index`.
    public func input(_ index: Int, corpus: [[UInt8]]) -> [UInt8] {
        var random = FuzzRandom(seed: seed, case: index)
        let base = corpus.isEmpty ? [] : corpus[random.below(corpus.count)]
        return mutator.mutate(base, corpus: corpus, using: &random)
    }

    /// Runs every case through `body`, which returns an outcome label or a contract violation
    /// (`.failure`). Whatever `body` throws is a violation too: targets catch their expected errors.
    public func run(corpus: [[UInt8]], _ body: ([UInt8]) throws -> Outcome) -> Report {
        var report = Report(target: target)
        let clock = ContinuousClock()
        let start = clock.now
        if let artifacts { try? FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true) }
        for index in 0..<cases {
            if clock.now - start > timeBudget {
                report.stoppedByTime = true
                break
            }
            let bytes = input(index, corpus: corpus)
            let inFlight = artifacts?.appendingPathComponent("\(target).in-flight")
            if let inFlight { try? Data(bytes).write(to: inFlight) }
            let outcome: Outcome
            do { outcome = try body(bytes) } catch { outcome = .failure("threw \(type(of: error)): \(error)") }
            report.casesRun += 1
            switch outcome {
            case .outcome(let label):
                report.outcomes[label, default: 0] += 1
            case .failure(let problem):
                report.outcomes["failure", default: 0] += 1
                report.failures.append((index, problem))
                if let artifacts { try? Data(bytes).write(to: artifacts.appendingPathComponent("\(target)-case-\(index).bin")) }
            }
        }
        if let artifacts { try? FileManager.default.removeItem(at: artifacts.appendingPathComponent("\(target).in-flight")) }
        report.elapsed = clock.now - start
        return report
    }

    public enum Outcome: Sendable {
        /// Within the contract; the label is counted (`accepted`, an error code…).
        case outcome(String)
        /// A broken contract (wrong error type, a file written outside its place…).
        case failure(String)
    }
}
