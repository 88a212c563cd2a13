/// Splits a byte stream into lines, keeping partial lines across reads: the one splitter for the
/// runner's status socket and the daemon's log relay.
///
/// A line longer than ``maximumLineLength`` bytes is cut into pieces of at most that length
/// (at a UTF-8 character boundary where there is one), so a stream without newlines cannot grow
/// memory without bound and no byte is dropped.
public struct LineSplitter: Sendable {
    /// The longest line emitted whole, in bytes; longer lines are cut into pieces of this size.
    public let maximumLineLength: Int
    private var pending: [UInt8] = []

    /// Creates a splitter; `maximumLineLength` is raised to at least 4 bytes, so one UTF-8 character always fits.
    public init(maximumLineLength: Int = 64 * 1024) {
        self.maximumLineLength = max(4, maximumLineLength)
    }

    /// Feeds bytes; returns the complete lines (without `\n`, a trailing `\r` removed).
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [String] {
        var lines: [String] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                lines.append(Self.decode(pending[...]))
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
                if pending.count >= maximumLineLength {
                    // Cut before a UTF-8 continuation run, so a character is not split in two.
                    var cut = pending.count
                    while cut > 1, pending[cut - 1] & 0xC0 == 0x80 { cut -= 1 }
                    if cut > 1, pending[cut - 1] >= 0xC0 { cut -= 1 } else { cut = pending.count }
                    lines.append(Self.decode(pending[..<cut]))
                    pending.removeFirst(cut)
                }
            }
        }
        return lines
    }

    /// At end of stream: the unterminated last line, if any.
    public mutating func finish() -> String? {
        defer { pending.removeAll() }
        return pending.isEmpty ? nil : Self.decode(pending[...])
    }

    private static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        var bytes = bytes
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
