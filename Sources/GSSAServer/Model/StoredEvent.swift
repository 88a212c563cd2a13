import Foundation

/// One row of the event log: what was published about a run, in order.
public struct StoredEvent: Codable, Sendable, Hashable {
    /// Monotonic id assigned by the store; nil before insertion.
    public var id: Int64?
    public var guid: String
    /// `announce`, `status`, `complete`, `fail`.
    public var kind: String
    public var percentage: Double?
    public var code: String?
    public var message: String?
    public var at: Date

    public init(
        id: Int64? = nil, guid: String, kind: String, percentage: Double? = nil, code: String? = nil,
        message: String? = nil, at: Date = Date()
    ) {
        self.id = id
        self.guid = guid
        self.kind = kind
        self.percentage = percentage
        self.code = code
        self.message = message
        self.at = at
    }
}
