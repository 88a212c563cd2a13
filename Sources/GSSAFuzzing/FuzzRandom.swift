/// The fuzzer's random numbers: SplitMix64, so a seed replays the same cases on every machine.
///
/// `SystemRandomNumberGenerator` would make a failing case impossible to reproduce, and Swift
/// offers no seedable generator of its own.
public struct FuzzRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The generator of case `index` of a campaign: each case can be replayed on its own.
    public init(seed: UInt64, case index: Int) {
        var mixer = FuzzRandom(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15))
        state = mixer.next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform index below `bound` (which must be positive).
    public mutating func below(_ bound: Int) -> Int { Int.random(in: 0..<bound, using: &self) }

    /// True with probability 1/`n`.
    public mutating func oneIn(_ n: Int) -> Bool { below(n) == 0 }
}
