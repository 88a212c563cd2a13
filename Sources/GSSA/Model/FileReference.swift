/// A needle's `file` reference: `mode:value`.
///
/// The original treats a bare name as `transfer:NAME`; `library:ID` names a needle from the
/// parametric library and is never transferred.
public struct FileReference: Sendable, Hashable, CustomStringConvertible {
    /// Where the needle's geometry comes from: the parametric `library`, a surface file meshed as a region (`surface`, `zone`, `both`), or a file `transfer`red in.
    public enum Mode: String, Sendable, CaseIterable {
        case library, surface, zone, both, transfer
    }

    /// The part before the colon.
    public var mode: Mode
    /// The part after the colon: a library ID or a relative file name.
    public var value: String

    /// Creates a reference from its parts.
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

    /// The `mode:value` form, always with the mode.
    public var description: String { "\(mode.rawValue):\(value)" }
}
