import Foundation
import GSSA

extension SimulationSummary {
    /// The summary a client sees of a stored run: its own GUID, never the internal key.
    public init(record: SimulationRecord, serverID: String, position: Int? = nil) {
        self.init(
            guid: record.name, serverID: serverID, owner: record.owner, family: record.family, state: record.state,
            directory: record.directory,
            finalized: record.state != .created && !(record.state.isTerminal && record.family == nil),
            exitStatus: record.status,
            status: Status(percentage: record.percentage, message: record.message, timestamp: Timestamp(record.updatedAt)),
            position: position, imageID: record.imageID, containerID: record.containerID,
            created: Timestamp(record.createdAt), started: record.startedAt.map(Timestamp.init),
            finished: record.finishedAt.map(Timestamp.init), cleaned: record.cleaned, warnings: record.warnings,
            node: record.node)
        self.parent = record.parent
        self.sweepValues = record.sweepValues
        self.after = record.after?.isEmpty == false ? record.after : nil
        self.rescheduledFrom = record.rescheduledFrom
        self.rescheduledAs = record.rescheduledAs
        project = record.project
        priority = record.priority
        queued = record.queuedAt.map(Timestamp.init)
        queueReason = record.state == .queued ? record.queueReason : nil
        cores = record.cores
        memory = record.memory
        walltime = record.walltime
    }
}
