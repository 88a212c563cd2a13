import Foundation
import GSSA
import GSSAAPI

/// Ages on the command line (`--since 2h`, `--older-than 7d`): a number with s, m, h, d or w.
enum AgeText {
    /// Seconds in `text` ("90s", "30m", "2h", "7d", "1w"); an `E_CLIENT` naming `option` otherwise.
    static func seconds(_ text: String, option: String) throws(GSSAError) -> TimeInterval {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        guard let unit = text.last, let factor = units[unit], let value = Double(text.dropLast()),
            value.isFinite, value >= 0, value * factor <= 100 * 365 * 86_400
        else {
            throw GSSAError.client("\(option) '\(text.prefix(64))' is not an age like 90s, 30m, 2h, 7d or 1w (at most 100 years)")
        }
        return value * factor
    }

    /// An instant: ISO-8601 as is, or an age before now.
    static func instant(_ text: String, option: String, now: Date = Date()) throws(GSSAError) -> Date {
        if let time = Timestamp(iso8601: text) { return time.date }
        return now.addingTimeInterval(-(try seconds(text, option: option)))
    }
}
