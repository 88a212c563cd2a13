/// Byte sequences the mutator splices in: what tends to break XML readers and the code after them.
///
/// Random bytes rarely form markup, so the mutator also inserts whole tokens: markup that opens
/// or closes structures, declarations a safe reader must refuse, invalid UTF-8 (the sequences
/// that made FoundationXML trap), and values that break numeric and path handling downstream.
public enum FuzzDictionary {
    /// Markup and declarations.
    public static let xml: [String] = [
        "<", ">", "/>", "</", "<!--", "-->", "<![CDATA[", "]]>", "<?", "?>", "<?xml version=\"1.0\"?>",
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>", "<?xml version=\"1.0\" encoding=\"UTF-16\"?>",
        "<!DOCTYPE a [<!ENTITY e \"x\">]>", "<!DOCTYPE a SYSTEM \"file:///etc/passwd\">",
        "<!ENTITY x SYSTEM \"file:///etc/passwd\">", "&x;", "&e;", "&amp;", "&lt;", "&#0;", "&#x110000;", "&#65;", "&#xD800;",
        "<xi:include href=\"/etc/passwd\" xmlns:xi=\"http://www.w3.org/2001/XInclude\"/>",
        "xmlns=\"urn:x\"", "xmlns:p=\"urn:p\"", "p:", "xmlns:", " a=\"1\"", " a='1'", "=\"", "\"", "'", "=",
        "<a>", "</a>", "<a/>", "\n", "\r\n", "\t", " ", "\u{FEFF}", "\u{0}", "\u{1}", "\u{7F}", "é", "😀", "\u{FFFE}",
    ]

    /// Invalid UTF-8: a lone continuation byte, overlong forms, surrogates, truncated sequences,
    /// bytes that never occur, code points above U+10FFFF.
    public static let invalidUTF8: [[UInt8]] = [
        [0x80], [0xBF], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],
        [0xF0, 0x82, 0x82, 0xAC], [0xF4, 0x90, 0x80, 0x80], [0xF5], [0xFE], [0xFF], [0xFF, 0xFE], [0xC3], [0xE2, 0x82],
        [0xF0, 0x9F, 0x98],
    ]

    /// Values for attributes and text: the numbers, names and paths that break parsers of them.
    public static let values: [String] = [
        "", " ", "0", "-0", "1", "-1", "0.5", "1e308", "1e309", "-1e309", "1e-400", "1e300", "-1e300", "9223372036854775807",
        "9223372036854775808", "-9223372036854775809", "18446744073709551616", "nan", "NaN", "inf", "-inf", "Infinity",
        "0x10", "1,2,3", "[1, 2, 3]", "[[1, 2, 3000]]", "[]", "[[]]", "{}", "[\"a\"]", "[1e309]", "null", "true", "false",
        "..", "../x", "/etc/passwd", "a/../../b", "library:", "surface:", "zone:", "transfer:", "library:rfa-cylinder-1",
        "x.tar.gz", "../x.tar.gz", "CGAL", "float", "integer", "array(float)", "array(array(int, int, float))", "boolean",
        "string", "\u{0}", "%s%n", "$(id)", "'", "\"", String(repeating: "9", count: 400), String(repeating: "a", count: 1000),
    ]

    /// Every token as bytes: markup, invalid UTF-8 and values.
    public static let all: [[UInt8]] = xml.map { Array($0.utf8) } + invalidUTF8 + values.map { Array($0.utf8) }
}
