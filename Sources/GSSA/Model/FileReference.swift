/// A needle's `file` reference: `mode:value`.
///
/// The original treats a bare name as `transfer:NAME`; `library:ID` names a needle from the
/// parametric library and is never transferred.
public struct FileReference: Sendable, Hashable, CustomStringConvertible {
    public enum Mode: String, Sendable, CaseIterable {
        case library, surface, zone, both, transfer
    }

    public var mode: Mode
    public var value: String

    public init(mode: Mode, value: String) {
        self.mode = mode
        self.value = value
    }

    /// Parses `mode:value`; a reference without a known mode prefix is `transfer:`.
    public init(parsing text: String) throws(GSSAError) {
        if let colon = text.firstIndex(of: ":") {
            let prefix = String(text[..<colon])
            guard let mode = Mode(rawValue: prefix) else {
                throw GSSAError.client(
                    "unknown needle file mode '\(prefix)' (expected one of: \(Mode.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            self.init(mode: mode, value: String(text[text.index(after: colon)...]))
        } else {
            self.init(mode: .transfer, value: text)
        }
    }

    /// Whether the reference names a file that must be transferred in.
    public var isFile: Bool { mode != .library }

    public var description: String { "\(mode.rawValue):\(value)" }
}
