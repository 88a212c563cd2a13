/// One progress report from a model: `pct|message` or just `message` on the status socket.
///
/// The runner re-emits each as one line on its stdout, `##gssa-status## <pct>|<message>`, which
/// the launch daemon picks out of the container's log stream.
public struct StatusLine: Sendable, Equatable {
    /// The marker that starts a status line on the runner's stdout.
    public static let marker = "##gssa-status## "

    /// Percentage as the model sent it (trimmed), or nil.
    public var percentage: String?
    public var message: String

    public init(percentage: String?, message: String) {
        self.percentage = percentage
        self.message = message
    }

    /// Parses one received line (without its newline). The part before the first `|` is the
    /// percentage when it is empty or a number; otherwise the whole line is the message, so
    /// `a|b` without a number stays a message. Control characters become spaces.
    public init(parsing line: String) {
        let clean = String(line.map { $0.isASCII && ($0.asciiValue! < 0x20 || $0.asciiValue! == 0x7f) ? " " : $0 })
        if let bar = clean.firstIndex(of: "|") {
            let head = clean[..<bar].trimmingSpaces
            if head.isEmpty || Double(head) != nil {
                self.init(percentage: head.isEmpty ? nil : head, message: String(clean[clean.index(after: bar)...]))
                return
            }
        }
        self.init(percentage: nil, message: clean)
    }

    /// The line printed on the runner's stdout, with its newline.
    public var rendered: String { Self.marker + (percentage ?? "") + "|" + message + "\n" }

    /// Parses a rendered line back (what the daemon does); nil if it is not a status line.
    public init?(rendered line: Substring) {
        guard line.hasPrefix(Self.marker) else { return nil }
        var body = line.dropFirst(Self.marker.count)
        if body.hasSuffix("\n") { body = body.dropLast() }
        guard let bar = body.firstIndex(of: "|") else { return nil }
        let head = body[..<bar]
        self.init(percentage: head.isEmpty ? nil : String(head), message: String(body[body.index(after: bar)...]))
    }
}

extension Substring {
    var trimmingSpaces: String {
        var s = self
        while let first = s.first, first == " " || first == "\t" { s = s.dropFirst() }
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// Splits a byte stream into lines, keeping partial lines across reads and capping line
/// length so a client without newlines cannot grow memory without bound.
public struct LineSplitter: Sendable {
    public let maximumLineLength: Int
    private var pending: [UInt8] = []
    private var discarding = false

    public init(maximumLineLength: Int = 4096) {
        self.maximumLineLength = maximumLineLength
    }

    /// Feeds bytes; returns the complete lines (without `\n`, a trailing `\r` removed).
    /// Overlong lines are cut at the cap and the rest up to the newline is dropped.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> [String] {
        var lines: [String] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if !discarding { lines.append(Self.decode(pending)) }
                pending.removeAll(keepingCapacity: true)
                discarding = false
            } else if !discarding {
                pending.append(byte)
                if pending.count >= maximumLineLength {
                    lines.append(Self.decode(pending))
                    pending.removeAll(keepingCapacity: true)
                    discarding = true
                }
            }
        }
        return lines
    }

    /// At end of stream: the unterminated last line, if any.
    public mutating func finish() -> String? {
        defer { pending.removeAll(); discarding = false }
        return pending.isEmpty || discarding ? nil : Self.decode(pending)
    }

    private static func decode(_ bytes: [UInt8]) -> String {
        var bytes = bytes[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
