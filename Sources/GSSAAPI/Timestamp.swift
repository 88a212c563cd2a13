import Foundation

/// An instant on the API's one time base: ISO-8601 in UTC with milliseconds on the wire
/// (`"2026-11-30T12:39:55.123Z"`), whatever date strategy the JSON coder uses.
///
/// Before, events counted seconds from 2001 (`JSONEncoder`'s default for `Date`) and summaries
/// from 1970; a string that says what it is removes the guessing.
public struct Timestamp: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The instant itself.
    public var date: Date

    /// Wraps an instant; now by default.
    public init(_ date: Date = Date()) { self.date = date }

    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!)
    private static let wholeSeconds = Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!)

    /// The ISO-8601 text, e.g. `2026-11-30T12:39:55.123Z`.
    public var description: String { date.formatted(Self.style) }

    /// Parses ISO-8601 with or without fractional seconds; nil when it is not.
    public init?(iso8601 text: String) {
        if let date = try? Self.style.parse(text) {
            self.date = date
        } else if let date = try? Self.wholeSeconds.parse(text) {
            self.date = date
        } else {
            return nil
        }
    }

    /// Decodes the ISO-8601 string, with or without milliseconds; any other value is a decoding error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = Timestamp(iso8601: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO-8601 time: '\(text.prefix(64))'")
        }
        self = parsed
    }

    /// Encodes the ISO-8601 string with milliseconds, in UTC.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Earlier instants sort first.
    public static func < (left: Timestamp, right: Timestamp) -> Bool { left.date < right.date }
}
