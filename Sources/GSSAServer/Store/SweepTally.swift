import Foundation
import GSSAAPI

/// What a sweep's parent needs to know of its children, counted where they are stored.
///
/// A sweep settles after every child's end, and its summary is read on every listing. Reading
/// and decoding all N children each time made an N-run sweep cost N² record reads; the SQLite
/// store answers with two queries on the `(owner, parent)` index instead. That is still a pass
/// over the children's rows, but about 20 times cheaper at N = 1,000 (docs/performance.md).
public struct SweepTally: Sendable, Hashable {
    /// The first child to fail, in the order the children were made.
    public struct Failure: Sendable, Hashable {
        /// The child's name (its client GUID).
        public var name: String
        /// Its `exit_status` code name, if it has one.
        public var exitCode: String?
        /// Its last status message.
        public var message: String?

        /// Creates a failure.
        public init(name: String, exitCode: String?, message: String?) {
            self.name = name
            self.exitCode = exitCode
            self.message = message
        }
    }

    /// Children per state; states with none are absent.
    public var counts: [SimulationState: Int]
    /// The children's progress added up: an ended child counts 100, the others their own
    /// percentage clamped to 0…100.
    public var progress: Double
    /// The first failed child, if any.
    public var firstFailure: Failure?

    /// Creates a tally.
    public init(counts: [SimulationState: Int], progress: Double, firstFailure: Failure?) {
        self.counts = counts.filter { $0.value > 0 }
        self.progress = progress
        self.firstFailure = firstFailure
    }

    /// The tally of `children`, given in the order they were made: the reference the stores
    /// answer to.
    public init(children: [SimulationRecord]) {
        var counts: [SimulationState: Int] = [:]
        var progress = 0.0
        for child in children {
            counts[child.state, default: 0] += 1
            progress += Self.progress(of: child.state, percentage: child.percentage)
        }
        let failed = children.first { $0.state == .failed }
        self.init(counts: counts, progress: progress,
                  firstFailure: failed.map { Failure(name: $0.name, exitCode: $0.exitCode, message: $0.message) })
    }

    /// How many children there are.
    public var total: Int { counts.values.reduce(0, +) }
    /// How many of them have ended.
    public var ended: Int { counts.filter(\.key.isTerminal).values.reduce(0, +) }

    /// One child's share of ``progress``.
    static func progress(of state: SimulationState, percentage: Double?) -> Double {
        state.isTerminal ? 100 : min(100, max(0, percentage ?? 0))
    }

    /// The summary clients see, for a sweep of `size` runs over `parameters`.
    public func status(size: Int, parameters: [String]) -> SweepStatus {
        let percentage = size > 0 ? ((progress / Double(size)) * 10).rounded() / 10 : 100
        return SweepStatus(size: size, counts: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }),
                           percentage: percentage, parameters: parameters)
    }
}
