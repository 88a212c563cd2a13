import Foundation

/// How a sweep's children are doing, as its parent's summary shows it.
public struct SweepStatus: Codable, Sendable, Hashable {
    /// Number of children.
    public var size: Int
    /// Children per state (JSON keys are the state names); states with none are absent.
    public var counts: [String: Int]
    /// Overall progress in percent: finished children count 100, the others their own progress.
    public var percentage: Double
    /// The swept parameters in the order that numbers the children.
    public var parameters: [String]

    /// Creates a sweep status.
    public init(size: Int, counts: [String: Int], percentage: Double, parameters: [String]) {
        self.size = size
        self.counts = counts
        self.percentage = percentage
        self.parameters = parameters
    }
}
