import Foundation
import GSSACore

/// A message on the events WebSocket (`/api/v1/events`).
///
/// The original published WAMP tuples (reference §1.3); these carry the same fields as named
/// JSON properties:
/// - `status`: `guid`, `percentage`, `status` (`IN_PROGRESS` object), `state`, `position` when queued;
/// - `complete` / `fail`: `guid`, `status` (`SUCCESS` or the error object), `directory`, and `node`
///   when a swarm node ran it;
/// - `announce`: the last known status of one stored run;
/// - `identify`: `server_id`, `hostname`, `free_slots`.
public struct ServerEvent: Codable, Sendable, Hashable {
    /// The kinds of message, carried in the JSON key `type`.
    public enum Kind: String, Codable, Sendable { case status, complete, fail, announce, identify }

    /// Which message this is (see the list above); decides which other fields are set.
    public var type: Kind
    /// The run the message is about; nil for `identify`.
    public var guid: String?
    /// The run's state after the change.
    public var state: SimulationState?
    /// Progress in percent, for `status`.
    public var percentage: Double?
    /// The status object: `IN_PROGRESS` with a message, `SUCCESS`, or the error that ended the run.
    public var status: GSSAError?
    /// The run's working directory on the server, for `complete` and `fail`.
    public var directory: String?
    /// The swarm node that ran the run, for `complete` and `fail` (launch daemon with
    /// `executor: swarm`); nil otherwise, so clients see where a run ran without another request.
    public var node: String?
    /// 1-based place in the queue while the run waits for a slot.
    public var position: Int?
    /// When the server published it.
    public var timestamp: Timestamp
    /// The server's identity (JSON `server_id`), for `identify`.
    public var serverID: String?
    /// The server's host name, for `identify`.
    public var hostname: String?
    /// How many more runs could start now (JSON `free_slots`), for `identify`.
    public var freeSlots: Int?

    /// Creates a message; `timestamp` defaults to now.
    public init(
        type: Kind, guid: String? = nil, state: SimulationState? = nil, percentage: Double? = nil,
        status: GSSAError? = nil, directory: String? = nil, position: Int? = nil, timestamp: Date = Date(),
        serverID: String? = nil, hostname: String? = nil, freeSlots: Int? = nil, node: String? = nil
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
        self.node = node
    }

    private enum CodingKeys: String, CodingKey {
        case type, guid, state, percentage, status, directory, position, timestamp, hostname, node
        case serverID = "server_id"
        case freeSlots = "free_slots"
    }
}
