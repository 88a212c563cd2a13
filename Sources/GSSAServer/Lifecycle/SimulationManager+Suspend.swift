import Foundation
import GSSA
import Logging

extension SimulationManager {
    /// `suspend`: pauses a running run's container through the launch daemon (Docker pause).
    /// The run becomes `suspended`; its walltime clock stops in the daemon until ``resume(guid:user:)``.
    @discardableResult
    public func suspend(guid: String, user: UserRecord) async throws -> SimulationRecord {
        let record = try await resolve(guid, user: user)
        guard !record.isSweepParent else {
            throw APIFailure.conflict("simulation \(record.name) is a sweep: suspend its children")
        }
        guard record.state == .running else {
            throw APIFailure.conflict("simulation \(record.name) is \(record.state.rawValue); only a running simulation can be suspended")
        }
        try await pause(record, true)
        return try await moved(record, from: .running, to: .suspended, message: "Suspended")
    }

    /// `resume`: unpauses a suspended run; it is `running` again.
    @discardableResult
    public func resume(guid: String, user: UserRecord) async throws -> SimulationRecord {
        let record = try await resolve(guid, user: user)
        guard record.state == .suspended else {
            throw APIFailure.conflict("simulation \(record.name) is \(record.state.rawValue); only a suspended simulation can be resumed")
        }
        try await pause(record, false)
        return try await moved(record, from: .suspended, to: .running, message: "Running (resumed)")
    }

    /// Asks the launcher; its refusal (the run ended meanwhile) is a conflict, its absence a server error.
    private func pause(_ record: SimulationRecord, _ pause: Bool) async throws {
        do {
            if pause { try await launcher.suspend(guid: record.guid) } else { try await launcher.resume(guid: record.guid) }
        } catch let refusal as GSSAError where refusal.code == .client {
            throw APIFailure.conflict("simulation \(record.name) cannot be \(pause ? "suspended" : "resumed"): \(refusal.message)")
        } catch {
            throw APIFailure(.server, .server(
                "simulation \(record.name) cannot be \(pause ? "suspended" : "resumed"): \(GSSAError.wrapping(error).message)"))
        }
    }

    private func moved(_ record: SimulationRecord, from: SimulationState, to: SimulationState, message: String) async throws
        -> SimulationRecord
    {
        let updated = try await store.update(guid: record.guid) {
            guard $0.state == from else { return }
            $0.state = to
            $0.message = message
            $0.updatedAt = Date()
        } ?? record
        if updated.state == to {
            await publish(ServerEvent(type: .status, guid: record.guid, state: to, percentage: updated.percentage,
                                      status: GSSAError(.inProgress, message)), owner: record.owner)
            try await store.appendEvent(StoredEvent(guid: record.guid, kind: "status", percentage: updated.percentage,
                                                    code: ErrorCode.inProgress.name, message: message))
        }
        return updated
    }

    /// `reschedule`: runs a finished, failed or cancelled run again as a new run with the same
    /// definition and inputs, named `GUID-R1` (or the next free `-Rn`), linked both ways
    /// (`rescheduled_from` / `rescheduled_as`). Nothing is retried automatically: this is the
    /// user's decision. A run is rescheduled at most once (reschedule the new run to go on).
    public func reschedule(guid: String, user: UserRecord) async throws -> SimulationRecord {
        let record = try await resolve(guid, user: user)
        guard record.state.isTerminal else {
            throw APIFailure.conflict(
                "simulation \(record.name) is \(record.state.rawValue); only a finished, failed or cancelled simulation can be rescheduled")
        }
        guard !record.cleaned else { throw APIFailure.conflict("simulation \(record.name) was cleaned; its definition and inputs are gone") }
        guard !record.isSweepParent else { throw APIFailure.conflict("simulation \(record.name) is a sweep: reschedule its children") }
        if let existing = record.rescheduledAs {
            throw APIFailure.conflict("simulation \(record.name) was rescheduled already as \(existing)")
        }
        try requireDefinition(record)
        var free: String?
        for n in 1...1000 {
            let candidate = "\(record.name.prefix(64 - 6))-R\(n)"
            if try await store.record(owner: record.owner, name: candidate) == nil {
                free = candidate
                break
            }
        }
        guard let name = free else { throw APIFailure.conflict("simulation \(record.name) has no free GUID for its re-run") }
        // The link is claimed first, so two reschedules at once make one run.
        let claimed = try await store.update(guid: record.guid) {
            guard $0.rescheduledAs == nil else { return }
            $0.rescheduledAs = name
        }
        guard claimed?.rescheduledAs == name else {
            throw APIFailure.conflict("simulation \(record.name) was rescheduled already as \(claimed?.rescheduledAs ?? "?")")
        }
        let made = try await derive(name, from: record, definition: nil, user: acting(as: record.owner)) {
            $0.rescheduledFrom = record.name
        }
        guard let finalized = made.finalized else { return try await store.record(guid: made.run.guid) ?? made.run }
        return try await enqueue(finalized)
    }
}
