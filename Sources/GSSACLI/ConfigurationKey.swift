import Foundation
import GSSA

/// One key of a command's YAML configuration file (`gssa server --config FILE`) and the option it
/// stands for: the key is the option's long name without `--`, with `_` for `-`
/// (`max_upload_bytes` is `--max-upload-bytes`).
///
/// The kind checks a value where it is written, so a mistake is refused at start-up naming the file,
/// the line and the key rather than the option the file was turned into.
struct ConfigurationKey: Sendable {
    enum Kind: Sendable {
        /// Any non-empty text.
        case text
        /// An integer of at least `minimum`.
        case integer(minimum: Int)
        /// A finite number above zero.
        case positiveNumber
        /// A size such as 1048576, 512K, 256M or 2G.
        case size
        /// true or false; true passes the flag.
        case flag
        /// A list (or a single value), passed as the option repeated.
        case list
        /// One of these words.
        case choice([String])
        /// Text checked by the option's own parser (its error text is kept).
        case checked(@Sendable (String) throws(GSSAError) -> Void)
    }

    var name: String
    var kind: Kind
    /// Other spellings of the option on the command line (hidden legacy names); any of them given
    /// there overrides the key too.
    var aliases: [String]

    init(_ name: String, _ kind: Kind, aliases: [String] = []) {
        self.name = name
        self.kind = kind
        self.aliases = aliases
    }

    /// `--max-upload-bytes` for `max_upload_bytes`.
    var option: String { "--" + name.replacingOccurrences(of: "_", with: "-") }

    /// True when the command line gives this option (`--opt value` or `--opt=value`).
    func isGiven(in arguments: [String]) -> Bool {
        let spellings = [option] + aliases
        return arguments.contains { argument in
            spellings.contains { argument == $0 || argument.hasPrefix($0 + "=") }
        }
    }
}
