import Foundation
import GSSACore

/// The values of one `--sweep NAME=…` argument: a list `v1,v2,v3` or a range `start:stop:step`.
///
/// The API takes literal values only (``API/Start/sweep``); clients expand ranges here, so both
/// sides agree on them. A range includes `stop` when a step lands on it (within a relative
/// 1e-9, so `0:1:0.1` has 11 values), and its values are written in the shortest form that
/// reads back as the same number (`0.3`, not `0.30000000000000004`).
public enum SweepRange {
    /// The most values one argument may expand to, whatever the server's limit.
    public static let maximumValues = 100_000

    /// Parses `NAME=values` into the name and its values; `field` names the argument in errors.
    public static func parse(_ argument: String, field: String = "--sweep") throws(GSSAError) -> (name: String, values: [String]) {
        guard let equals = argument.firstIndex(of: "=") else {
            throw GSSAError.client("\(field) '\(argument.prefix(80))' must be NAME=v1,v2 or NAME=start:stop:step", attribute: field)
        }
        let name = String(argument[..<equals]).trimmingCharacters(in: .whitespaces)
        let text = String(argument[argument.index(after: equals)...])
        guard !name.isEmpty else { throw GSSAError.client("\(field) '\(argument.prefix(80))' has no parameter name", attribute: field) }
        return (name, try values(text, field: "\(field) \(name)"))
    }

    /// The values of `text`: a range if it is exactly three numbers separated by `:`, else a comma-separated list.
    public static func values(_ text: String, field: String) throws(GSSAError) -> [String] {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if parts.count == 3, let start = Double(parts[0]), let stop = Double(parts[1]), let step = Double(parts[2]) {
            return try range(start: start, stop: stop, step: step, field: field)
        }
        let list = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !list.contains(where: \.isEmpty) else {
            throw GSSAError.client("\(field): empty value in '\(text.prefix(80))'", attribute: field)
        }
        guard list.count <= maximumValues else {
            throw GSSAError.client("\(field): more than \(maximumValues) values", attribute: field)
        }
        return list
    }

    /// `start, start+step, …` up to `stop`; refused when empty, infinite or too long.
    public static func range(start: Double, stop: Double, step: Double, field: String) throws(GSSAError) -> [String] {
        guard start.isFinite, stop.isFinite, step.isFinite, step != 0 else {
            throw GSSAError.client("\(field): range \(start):\(stop):\(step) needs finite numbers and a non-zero step", attribute: field)
        }
        let span = (stop - start) / step
        guard span >= -1e-9 else {
            throw GSSAError.client(
                "\(field): range \(format(start)):\(format(stop)):\(format(step)) is empty (the step goes away from stop)",
                attribute: field)
        }
        guard span < Double(maximumValues) else {
            throw GSSAError.client("\(field): range has more than \(maximumValues) values", attribute: field)
        }
        let count = Int((span + 1e-9).rounded(.down)) + 1
        return (0..<count).map { format(start + Double($0) * step) }
    }

    /// The shortest text for `value`: integers without a decimal point.
    static func format(_ value: Double) -> String {
        let rounded = (value * 1e9).rounded() / 1e9
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
        return "\(rounded)"
    }
}
