import GSSA

/// A refusal with an HTTP meaning: the API layer maps ``Kind`` to a status code and always
/// sends the GSSA error object, so clients never get a bare `false`.
public struct APIFailure: Error, Sendable {
    public enum Kind: Sendable, Hashable {
        case badRequest, unauthorized, forbidden, notFound, methodNotAllowed, conflict, payloadTooLarge, unsupportedMediaType, upgradeRequired, tooManyRequests, server
    }

    public var kind: Kind
    public var error: GSSAError
    /// For an ambiguous GUID prefix: the matching GUIDs.
    public var candidates: [String]?
    /// For a rate limit (HTTP 429): seconds the client should wait (`Retry-After`).
    public var retryAfter: Int?

    public init(_ kind: Kind, _ error: GSSAError, candidates: [String]? = nil, retryAfter: Int? = nil) {
        self.kind = kind
        self.error = error
        self.candidates = candidates
        self.retryAfter = retryAfter
    }

    static func notFound(_ guid: String) -> APIFailure {
        APIFailure(.notFound, .client("no simulation matches '\(guid)'"))
    }

    static func conflict(_ reason: String) -> APIFailure { APIFailure(.conflict, .client(reason)) }

    /// HTTP 413 for a body over `limit` bytes; `hint` says how to raise it.
    static func tooLarge(_ what: String, limit: Int64, hint: String) -> APIFailure {
        APIFailure(.payloadTooLarge, .client("\(what) is larger than \(limit) bytes, the server's limit\(hint)"))
    }

    /// The failure for any error: ours as they are, GSSA errors by code.
    static func from(_ error: any Error) -> APIFailure {
        if let failure = error as? APIFailure { return failure }
        let gssa = GSSAError.wrapping(error)
        return APIFailure(gssa.code == .client ? .badRequest : .server, gssa)
    }
}
