/// Text helpers for the wire formats, without Foundation (the static runner links this target).
enum WireText {
    /// `text` without leading and trailing spaces and tabs (and CR/LF when `newlines`).
    static func trimmed(_ text: Substring, newlines: Bool = false) -> String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || (newlines && ($0 == "\n" || $0 == "\r" || $0 == "\r\n")) }
        var text = text
        while let first = text.first, blank(first) { text = text.dropFirst() }
        while let last = text.last, blank(last) { text = text.dropLast() }
        return String(text)
    }
}
