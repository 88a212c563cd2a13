/// One progress report from a model, and its line on the runner's stdout: the one definition
/// that the runner writes and the launch daemon reads.
///
/// A model sends `pct|message` or just `message` on the status socket. The runner re-emits
/// each as one line on its stdout, `##gssa-status## <pct>|<message>` (``rendered``), which the
/// daemon picks out of the container's log stream (``init(rendered:)``).
public struct StatusLine: Sendable, Hashable {
    /// The marker that starts a status line on the runner's stdout.
    public static let marker = "##gssa-status## "

    /// Percentage as the model sent it (trimmed), or nil.
    public var percentage: String?
    /// The status message for clients (``init(parsing:)`` has turned control characters into spaces).
    public var message: String

    /// Creates a status line from its parts, taken as they are.
    public init(percentage: String?, message: String) {
        self.percentage = percentage
        self.message = message
    }

    /// The percentage as a number (always finite: a line with `nan` or `inf` has none).
    public var percentageValue: Double? { percentage.flatMap(Self.finite) }

    /// Parses one line a model sent (without its newline). The part before the first `|` is the
    /// percentage when it is empty or a finite number; otherwise the whole line is the message,
    /// so `a|b` without a number stays a message. Control characters become spaces.
    public init(parsing line: String) {
        let clean = String(line.map { $0.isASCII && ($0.asciiValue! < 0x20 || $0.asciiValue! == 0x7f) ? " " : $0 })
        if let (percentage, message) = Self.split(clean[...]) {
            self.init(percentage: percentage, message: message)
        } else {
            self.init(percentage: nil, message: clean)
        }
    }

    /// The line printed on the runner's stdout, with its newline.
    public var rendered: String { Self.marker + (percentage ?? "") + "|" + message + "\n" }

    /// Parses a line of the runner's stdout (a trailing newline is ignored); nil when it is not
    /// a status line: no marker, no `|`, or a head that is not empty nor a finite number.
    public init?(rendered line: Substring) {
        guard line.hasPrefix(Self.marker) else { return nil }
        var body = line.dropFirst(Self.marker.count)
        if body.hasSuffix("\n") { body = body.dropLast() }
        guard let (percentage, message) = Self.split(body) else { return nil }
        self.init(percentage: percentage, message: message)
    }

    /// `head|rest` with an empty or numeric head; nil otherwise.
    private static func split(_ text: Substring) -> (String?, String)? {
        guard let bar = text.firstIndex(of: "|") else { return nil }
        let head = WireText.trimmed(text[..<bar])
        guard head.isEmpty || finite(head) != nil else { return nil }
        return (head.isEmpty ? nil : head, String(text[text.index(after: bar)...]))
    }

    private static func finite(_ text: String) -> Double? {
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }
}
