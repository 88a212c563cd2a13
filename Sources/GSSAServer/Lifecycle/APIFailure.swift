import GSSA

/// A refusal with an HTTP meaning: the API layer maps ``Kind`` to a status code and always
/// sends the GSSA error object, so clients never get a bare `false`.
public struct APIFailure: Error, Sendable {
    public enum Kind: Sendable, Hashable {
        case badRequest, unauthorized, notFound, conflict, server
    }

    public var kind: Kind
    public var error: GSSAError
    /// For an ambiguous GUID prefix: the matching GUIDs.
    public var candidates: [String]?

    public init(_ kind: Kind, _ error: GSSAError, candidates: [String]? = nil) {
        self.kind = kind
        self.error = error
        self.candidates = candidates
    }

    static func notFound(_ guid: String) -> APIFailure {
        APIFailure(.notFound, .client("no simulation matches '\(guid)'"))
    }

    static func conflict(_ reason: String) -> APIFailure { APIFailure(.conflict, .client(reason)) }

    /// The failure for any error: ours as they are, GSSA errors by code.
    static func from(_ error: any Error) -> APIFailure {
        if let failure = error as? APIFailure { return failure }
        let gssa = GSSAError.wrapping(error)
        return APIFailure(gssa.code == .client ? .badRequest : .server, gssa)
    }
}
