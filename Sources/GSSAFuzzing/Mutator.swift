/// Mutates inputs byte-wise and token-wise, deterministically from a ``FuzzRandom``.
///
/// A case applies one to four operations to a corpus entry: bit flips, random bytes, inserts,
/// deletes, duplicated ranges, splices with another entry, dictionary tokens, and (for XML)
/// attribute values replaced by hostile values and elements nested deeply, so that mutants
/// also get past the parser into the code that reads the tree.
public struct Mutator: Sendable {
    public var dictionary: [[UInt8]]
    public var values: [[UInt8]]
    /// Mutants are cut to this size, which keeps every case fast.
    public var maximumSize: Int

    public init(
        dictionary: [[UInt8]] = FuzzDictionary.all, values: [[UInt8]] = FuzzDictionary.values.map { Array($0.utf8) },
        maximumSize: Int = 256 * 1024
    ) {
        self.dictionary = dictionary
        self.values = values
        self.maximumSize = maximumSize
    }

    public func mutate(_ input: [UInt8], corpus: [[UInt8]], using random: inout FuzzRandom) -> [UInt8] {
        var bytes = input
        if random.oneIn(3) {
            // Keep the markup, change only values: these mutants get past the parser into the
            // code that interprets the tree (numbers, paths, names).
            for _ in 0..<(1 + random.below(3)) {
                if random.oneIn(4) { replaceText(in: &bytes, using: &random) } else { replaceAttributeValue(in: &bytes, using: &random) }
            }
        } else {
            for _ in 0..<(1 + random.below(4)) {
                apply(random.below(12), to: &bytes, corpus: corpus, using: &random)
            }
        }
        if bytes.count > maximumSize { bytes.removeLast(bytes.count - maximumSize) }
        return bytes
    }

    private func apply(_ operation: Int, to bytes: inout [UInt8], corpus: [[UInt8]], using random: inout FuzzRandom) {
        let position = random.below(bytes.count + 1)
        switch operation {
        case 0 where !bytes.isEmpty:  // flip one bit
            let at = random.below(bytes.count)
            bytes[at] ^= UInt8(1) << UInt8(random.below(8))
        case 1 where !bytes.isEmpty:  // set a byte to anything
            bytes[random.below(bytes.count)] = UInt8.random(in: 0...255, using: &random)
        case 2:  // insert a few random bytes
            bytes.insert(contentsOf: (0..<(1 + random.below(8))).map { _ in UInt8.random(in: 0...255, using: &random) }, at: position)
        case 3 where !bytes.isEmpty:  // delete a range
            let length = min(bytes.count - min(position, bytes.count - 1), 1 + random.below(32))
            let start = min(position, bytes.count - length)
            bytes.removeSubrange(start..<(start + length))
        case 4 where !bytes.isEmpty:  // duplicate a range somewhere else
            let start = random.below(bytes.count)
            let range = start..<min(bytes.count, start + 1 + random.below(256))
            bytes.insert(contentsOf: bytes[range], at: random.below(bytes.count + 1))
        case 5, 6:  // insert a dictionary token, more often just after markup
            let token = dictionary[random.below(dictionary.count)]
            let at = random.oneIn(2) ? nearMarkup(bytes, from: position) : position
            bytes.insert(contentsOf: token, at: at)
        case 7 where !bytes.isEmpty:  // overwrite with a dictionary token
            let token = dictionary[random.below(dictionary.count)]
            let start = random.below(bytes.count)
            let end = min(bytes.count, start + token.count)
            bytes.replaceSubrange(start..<end, with: token)
        case 8 where !corpus.isEmpty:  // splice: our head, another entry's tail
            let other = corpus[random.below(corpus.count)]
            let cut = random.below(other.count + 1)
            bytes = Array(bytes[..<position]) + other[cut...]
        case 9, 10:  // replace an attribute value with a hostile one
            replaceAttributeValue(in: &bytes, using: &random)
        case 11:  // nest: an element opened many times (a depth bomb, sometimes a small one)
            let count = random.oneIn(4) ? 300 + random.below(2000) : 1 + random.below(20)
            let name = Array("n\(random.below(3))".utf8)
            var open: [UInt8] = []
            for _ in 0..<count { open += [UInt8(ascii: "<")] + name + [UInt8(ascii: ">")] }
            bytes.insert(contentsOf: open, at: nearMarkup(bytes, from: position))
        default:  // an operation that needed a non-empty input: insert a token instead
            bytes.insert(contentsOf: dictionary[random.below(dictionary.count)], at: position)
        }
    }

    /// The first position at or after `position` just past a `>` (or `position` if none).
    private func nearMarkup(_ bytes: [UInt8], from position: Int) -> Int {
        var index = position
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: ">") { return index + 1 }
            index += 1
        }
        return position
    }

    /// Replaces the character data between one `>` and the next `<` with a hostile value.
    private func replaceText(in bytes: inout [UInt8], using random: inout FuzzRandom) {
        let opens = bytes.indices.filter { bytes[$0] == UInt8(ascii: ">") }
        guard !opens.isEmpty else { return }
        let start = opens[random.below(opens.count)] + 1
        guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "<")) else { return }
        let value = values[random.below(values.count)].filter { $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: "&") }
        bytes.replaceSubrange(start..<end, with: value)
    }

    /// Replaces the contents of one quoted value (`="…"` or `='…'`) chosen at random.
    private func replaceAttributeValue(in bytes: inout [UInt8], using random: inout FuzzRandom) {
        var starts: [Int] = []
        for index in 1..<max(1, bytes.count) where bytes[index - 1] == UInt8(ascii: "=")
            && (bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'")) {
            starts.append(index)
        }
        guard !starts.isEmpty else { return }
        let open = starts[random.below(starts.count)]
        let quote = bytes[open]
        guard let close = bytes[(open + 1)...].firstIndex(of: quote) else { return }
        var value = values[random.below(values.count)]
        if quote == UInt8(ascii: "\"") { value = value.map { $0 == UInt8(ascii: "\"") ? UInt8(ascii: "'") : $0 } }
        if quote == UInt8(ascii: "'") { value = value.map { $0 == UInt8(ascii: "'") ? UInt8(ascii: "\"") : $0 } }
        bytes.replaceSubrange((open + 1)..<close, with: value)
    }
}
