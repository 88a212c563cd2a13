import Foundation
import Logging

/// A swift-log handler that writes each record to stdout as one JSON object on one line:
/// `{"time":…,"level":…,"label":…,"message":…,"source":…,<metadata…>}`.
///
/// Lines are written with a single `write(2)` each, so records from concurrent tasks never
/// interleave within a line. Metadata keys that collide with the fixed fields are prefixed
/// with `meta.`; values are kept as strings, arrays and objects as swift-log gives them.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public let label: String
    private let output: @Sendable (Data) -> Void

    public init(label: String) {
        self.init(label: label) { line in
            line.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Foundation.write(1, buffer.baseAddress! + offset, buffer.count - offset)
                    if written <= 0 { if errno == EINTR { continue } else { return } }
                    offset += written
                }
            }
        }
    }

    /// A handler writing to `output` instead of stdout (tests).
    public init(label: String, output: @escaping @Sendable (Data) -> Void) {
        self.label = label
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: Any] = [:]
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged {
            object[Self.fixedFields.contains(key) ? "meta.\(key)" : key] = Self.json(value)
        }
        object["time"] = Self.timestamp(Date())
        object["level"] = event.level.rawValue
        object["label"] = label
        object["message"] = event.message.description
        object["source"] = event.source
        var line: Data
        do {
            line = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            // Only reachable with a value JSONSerialization cannot take; say so rather than drop it.
            line = Data(#"{"level":"error","message":"unencodable log record"}"#.utf8)
        }
        line.append(UInt8(ascii: "\n"))
        output(line)
    }

    static let fixedFields: Set<String> = ["time", "level", "label", "message", "source"]

    static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(json)
        case .dictionary(let entries): entries.mapValues(json)
        }
    }

    /// RFC 3339 in UTC with milliseconds, e.g. `2026-11-30T15:37:14.123Z`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
