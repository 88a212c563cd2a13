import Foundation
import GSSACore

/// A message on the events WebSocket (`/api/v1/events`).
///
/// The original published WAMP tuples (reference §1.3); these carry the same fields as named
/// JSON properties:
/// - `status`: `guid`, `percentage`, `status` (`IN_PROGRESS` object), `state`, `position` when queued;
/// - `complete` / `fail`: `guid`, `status` (`SUCCESS` or the error object), `directory`;
/// - `announce`: the last known status of one stored run;
/// - `identify`: `server_id`, `hostname`, `free_slots`.
public struct ServerEvent: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable { case status, complete, fail, announce, identify }

    public var type: Kind
    public var guid: String?
    public var state: SimulationState?
    public var percentage: Double?
    public var status: GSSAError?
    public var directory: String?
    public var position: Int?
    /// When the server published it.
    public var timestamp: Timestamp
    public var serverID: String?
    public var hostname: String?
    public var freeSlots: Int?

    public init(
        type: Kind, guid: String? = nil, state: SimulationState? = nil, percentage: Double? = nil,
        status: GSSAError? = nil, directory: String? = nil, position: Int? = nil, timestamp: Date = Date(),
        serverID: String? = nil, hostname: String? = nil, freeSlots: Int? = nil
    ) {
        self.type = type
        self.guid = guid
        self.state = state
        self.percentage = percentage
        self.status = status
        self.directory = directory
        self.position = position
        self.timestamp = Timestamp(timestamp)
        self.serverID = serverID
        self.hostname = hostname
        self.freeSlots = freeSlots
    }

    private enum CodingKeys: String, CodingKey {
        case type, guid, state, percentage, status, directory, position, timestamp, hostname
        case serverID = "server_id"
        case freeSlots = "free_slots"
    }
}
