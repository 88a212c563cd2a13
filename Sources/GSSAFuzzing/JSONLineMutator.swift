/// Mutations of JSON request lines: bit flips, byte insertions and deletions, duplicated and
/// spliced ranges, and, most usefully, numbers and strings swapped for hostile ones.
///
/// The XML ``Mutator``'s companion for line-delimited JSON protocols (the launch daemon's
/// frames); deterministic from a ``FuzzRandom`` like it, so a seed replays a case anywhere.
public enum JSONLineMutator {
    /// Numbers a JSON reader must survive: out of range, signed zero, non-finite spellings, other types.
    public static let numbers = [
        "1e19", "-1", "0", "-0", "1e308", "1e400", "-1e400", "9223372036854775807", "9223372036854775808",
        "-9223372036854775809", "1e-10", "0.001", "0.01", "NaN", "Infinity", "1.7976931348623157e308", "4.9e-324",
        "18446744073709551616", "\"12\"", "null", "true", "[]", "{}", "31536001", "2147483648", "-2147483649",
    ]
    /// Strings: empty, paths, NUL, a lone surrogate, 5000 bytes, names of other fields.
    public static let strings = [
        "\"\"", "\"../../etc\"", "\"/\"", "\"/etc/shadow\"", "\"\\u0000\"", "\"\(String(repeating: "A", count: 5000))\"",
        "\"\\ud800\"", "\"é\"", "\"STARTx\"", "\"stdout\"", "\"stderr\"", "\"gssa/test\"",
    ]
    /// Single bytes inserted: JSON punctuation, line ends, bytes invalid in UTF-8.
    public static let bytes: [UInt8] = [0x00, 0xFF, 0xC3, 0x80, 0x22, 0x7B, 0x7D, 0x5B, 0x5D, 0x5C, 0x2C, 0x3A, 0x0D, 0x0A, 0x20, 0x2D, 0x2E, 0x65]

    /// One mutant: a seed with one to four operations applied.
    public static func mutate(_ seeds: [[UInt8]], using rng: inout FuzzRandom) -> [UInt8] {
        guard var data = seeds.randomElement(using: &rng) else { return [bytes[0]] }
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            data = self.once(data, seeds: seeds, rng: &rng)
        }
        return data
    }

    private static func once(_ input: [UInt8], seeds: [[UInt8]], rng: inout FuzzRandom) -> [UInt8] {
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
            data = Array(data[..<at]) + Array(other[(other.isEmpty ? 0 : Int.random(in: 0..<other.count, using: &rng))...])
        default: data = Array(data[..<at])
        }
        return data
    }

    /// Replaces one number (or one string literal) with a hostile one.
    private static func replaceToken(_ data: [UInt8], digits: Bool, rng: inout FuzzRandom) -> [UInt8] {
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
