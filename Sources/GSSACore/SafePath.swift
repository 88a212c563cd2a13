/// Checks for names that will become paths on the server or in a container.
///
/// Remote names from a definition end up under working directories; an absolute name or a
/// `..` component could write anywhere, so they are refused at the edge.
public enum SafePath {
    /// Whether `name` is a non-empty relative path with no `..` component and no NUL.
    public static func isSafeRelative(_ name: String) -> Bool {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.hasPrefix("\\"), !name.contains("\0") else { return false }
        let components = name.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        return !components.contains("..")
    }

    /// Whether `name` can be used as a single file-name component (an id or index).
    public static func isSafeComponent(_ name: String) -> Bool {
        isSafeRelative(name) && !name.contains("/") && !name.contains("\\") && name != "."
    }

    /// The extension a local copy keeps: `.tar.gz`/`.tar.bz2` whole, else the last one.
    public static func fileExtension(of name: String) -> String {
        let base = name.split(separator: "/").last.map(String.init) ?? name
        for double in [".tar.gz", ".tar.bz2"] where base.lowercased().hasSuffix(double) {
            return String(base.suffix(double.count))
        }
        guard let dot = base.lastIndex(of: "."), dot != base.startIndex else { return "" }
        return String(base[dot...])
    }
}
