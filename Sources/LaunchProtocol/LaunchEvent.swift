/// Something that happened in a run, pushed to subscribed connections between replies.
///
/// Wire form: `{"event":"status","guid":…,"percentage":42.0,"message":"Solving"}`,
/// `{"event":"log","guid":…,"stream":"stdout","line":"…"}`,
/// `{"event":"exit","guid":…,"result":{…}}`. `exit` is always the last event of a run.
public enum LaunchEvent: Sendable, Hashable {
    /// A progress report from the runner: `percentage` when it gave one, and its message.
    case status(guid: String, percentage: Double?, message: String)
    /// One line the container wrote that is not a status line; sent only to subscribers that asked for logs.
    case log(guid: String, stream: LogStream, line: String)
    /// The run has finished and its result is final; no event for this run follows.
    case exit(guid: String, result: RunResult)

    /// The run the event belongs to.
    public var guid: String {
        switch self {
        case .status(let guid, _, _), .log(let guid, _, _), .exit(let guid, _): guid
        }
    }
}

extension LaunchEvent: Codable {
    private enum CodingKeys: String, CodingKey { case event, guid, percentage, message, stream, line, result }

    /// Encodes the wire form above, with the kind in the `event` key.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .status(let guid, let percentage, let message):
            try c.encode("status", forKey: .event)
            try c.encode(guid, forKey: .guid)
            try c.encode(percentage, forKey: .percentage)
            try c.encode(message, forKey: .message)
        case .log(let guid, let stream, let line):
            try c.encode("log", forKey: .event)
            try c.encode(guid, forKey: .guid)
            try c.encode(stream, forKey: .stream)
            try c.encode(line, forKey: .line)
        case .exit(let guid, let result):
            try c.encode("exit", forKey: .event)
            try c.encode(guid, forKey: .guid)
            try c.encode(result, forKey: .result)
        }
    }

    /// Decodes the wire form above; an unknown `event` is a decoding error naming it.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let guid = try c.decode(String.self, forKey: .guid)
        switch try c.decode(String.self, forKey: .event) {
        case "status":
            self = .status(
                guid: guid, percentage: try c.decodeIfPresent(Double.self, forKey: .percentage),
                message: try c.decode(String.self, forKey: .message))
        case "log":
            self = .log(
                guid: guid, stream: try c.decode(LogStream.self, forKey: .stream),
                line: try c.decode(String.self, forKey: .line))
        case "exit":
            self = .exit(guid: guid, result: try c.decode(RunResult.self, forKey: .result))
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .event, in: c, debugDescription: "unknown event '\(other)'")
        }
    }
}
