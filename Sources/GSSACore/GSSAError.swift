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
    /// The taxonomy code (`E_CLIENT`, `E_SERVER`, `E_MODEL`…): what kind of failure, and who should act.
    public var code: ErrorCode
    /// The problem itself, without location.
    public var reason: String
    /// 1-based line in the source document, when known.
    public var line: Int?
    /// The offending element, rendered like `<region id="r1">`.
    public var element: String?
    /// The offending attribute or field, when one is to blame.
    public var attribute: String?

    /// Creates an error; pass the location when the problem is in an input document.
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

    /// An `E_CLIENT` error: the request or document is wrong, optionally with where.
    public static func client(_ reason: String, line: Int? = nil, element: String? = nil, attribute: String? = nil) -> GSSAError {
        GSSAError(.client, reason, line: line, element: element, attribute: attribute)
    }

    /// An `E_SERVER` error: the server or its environment failed.
    public static func server(_ reason: String) -> GSSAError { GSSAError(.server, reason) }
    /// An `E_MODEL` error: the model (the start script or the solver) failed.
    public static func model(_ reason: String) -> GSSAError { GSSAError(.model, reason) }
    /// An `E_UNKNOWN` error, when nothing better is known.
    public static func unknown(_ reason: String) -> GSSAError { GSSAError(.unknown, reason) }
    /// An `E_CANCELLED` error: the run was cancelled on request.
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
    /// The same as ``description``, for Foundation's error reporting.
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

    /// Decodes the status object `{id, code, message}`: `code` (the name) wins over `id` (the
    /// number), and an unknown code is a decoding error. The location is not decoded: it is
    /// already part of `message`.
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
