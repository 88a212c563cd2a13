import Foundation

/// A user of the server, identified by an API token.
///
/// Only a SHA-256 digest of the token is stored, so a copy of the database does not hand out
/// working tokens.
public struct UserRecord: Codable, Sendable, Hashable {
    public var name: String
    /// Hex SHA-256 of the token.
    public var tokenDigest: String
    /// Admins see and act on every run.
    public var admin: Bool
    public var createdAt: Date

    public init(name: String, tokenDigest: String, admin: Bool, createdAt: Date = Date()) {
        self.name = name
        self.tokenDigest = tokenDigest
        self.admin = admin
        self.createdAt = createdAt
    }

    /// Whether this user may see and act on a run owned by `owner`.
    public func canAccess(owner: String) -> Bool { admin || owner == name }
}
