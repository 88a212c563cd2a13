// FoundationEssentials only (no ICU), so a fully static executable can link this module.
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The one error type of gssa.
///
/// Every failure a user can see carries a taxonomy ``code`` and a human ``message``. Errors
/// about input documents also carry where in the document the problem is, so a researcher
/// can go straight to the offending element.
public struct GSSAError: Error, Sendable, Hashable {
    public var code: ErrorCode
    /// The problem itself, without location.
    public var reason: String
    /// 1-based line in the source document, when known.
    public var line: Int?
    /// The offending element, rendered like `<region id="r1">`.
    public var element: String?
    /// The offending attribute or field, when one is to blame.
    public var attribute: String?

    public init(
        _ code: ErrorCode, _ reason: String, line: Int? = nil, element: String? = nil,
        attribute: String? = nil
    ) {
        self.code = code
        self.reason = reason
        self.line = line
        self.element = element
        self.attribute = attribute
    }

    /// The message clients read: location first, then the reason.
    public var message: String {
        var parts: [String] = []
        if let line { parts.append("line \(line)") }
        if let element { parts.append(element) }
        parts.append(reason)
        return parts.joined(separator: ": ")
    }

    public static func client(_ reason: String, line: Int? = nil, element: String? = nil, attribute: String? = nil) -> GSSAError {
        GSSAError(.client, reason, line: line, element: element, attribute: attribute)
    }

    public static func server(_ reason: String) -> GSSAError { GSSAError(.server, reason) }
    public static func model(_ reason: String) -> GSSAError { GSSAError(.model, reason) }
    public static func unknown(_ reason: String) -> GSSAError { GSSAError(.unknown, reason) }
    public static func cancelled(_ reason: String) -> GSSAError { GSSAError(.cancelled, reason) }

    /// Wraps any error as a ``GSSAError``, keeping ours as they are.
    public static func wrapping(_ error: any Error, as code: ErrorCode = .server) -> GSSAError {
        if let error = error as? GSSAError { return error }
        return GSSAError(code, "\(error)")
    }
}

extension GSSAError: CustomStringConvertible, LocalizedError {
    /// `E_CLIENT: line 12: <region id="r1">: groups is not a JSON array`
    public var description: String { "\(code.name): \(message)" }
    public var errorDescription: String? { description }
}

extension GSSAError: Codable {
    private enum CodingKeys: String, CodingKey { case id, code, message }

    /// Encodes as the GSSA status object `{id, code, message}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code.rawValue, forKey: .id)
        try container.encode(code.name, forKey: .code)
        try container.encode(message, forKey: .message)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decodeIfPresent(String.self, forKey: .code)
        let id = try container.decodeIfPresent(Int.self, forKey: .id)
        guard let code = name.flatMap(ErrorCode.init(name:)) ?? id.flatMap(ErrorCode.init(rawValue:)) else {
            throw DecodingError.dataCorruptedError(
                forKey: .code, in: container, debugDescription: "unknown GSSA error code")
        }
        self.init(code, try container.decodeIfPresent(String.self, forKey: .message) ?? "")
    }
}
