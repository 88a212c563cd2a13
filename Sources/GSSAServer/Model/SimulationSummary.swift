import Foundation
import GSSA

/// What `retrieve_status` and `search` return for one run.
///
/// Keeps the original's summary fields (`guid`, `directory`, `finalized`, `exit_status`,
/// `status{percentage, message, timestamp}`, `server_id`) and adds the state, owner, family,
/// queue position and image ID.
public struct SimulationSummary: Codable, Sendable, Hashable {
    public struct Status: Codable, Sendable, Hashable {
        public var percentage: Double?
        public var message: String?
        public var timestamp: Double
    }

    public var guid: String
    public var serverID: String
    public var owner: String
    public var family: String?
    public var state: SimulationState
    public var directory: String
    public var finalized: Bool
    /// The outcome object once finished (`SUCCESS` or an error), `IN_PROGRESS` while running.
    public var exitStatus: GSSAError?
    public var status: Status
    /// 1-based position while queued.
    public var position: Int?
    public var imageID: String?
    public var containerID: String?
    public var created: Double
    public var cleaned: Bool
    /// Warnings about the run, such as a host mesh under the quality gate; absent when none.
    public var warnings: [String]?

    public init(record: SimulationRecord, serverID: String, position: Int? = nil) {
        guid = record.name
        self.serverID = serverID
        owner = record.owner
        family = record.family
        state = record.state
        directory = record.directory
        finalized = record.state != .created && !(record.state.isTerminal && record.family == nil)
        exitStatus = record.status
        status = Status(percentage: record.percentage, message: record.message, timestamp: record.updatedAt.timeIntervalSince1970)
        self.position = position
        imageID = record.imageID
        containerID = record.containerID
        created = record.createdAt.timeIntervalSince1970
        cleaned = record.cleaned
        warnings = record.warnings?.isEmpty == false ? record.warnings : nil
    }

    private enum CodingKeys: String, CodingKey {
        case guid, owner, family, state, directory, finalized, status, position, created, cleaned, warnings
        case serverID = "server_id"
        case exitStatus = "exit_status"
        case imageID = "image_id"
        case containerID = "container_id"
    }
}
