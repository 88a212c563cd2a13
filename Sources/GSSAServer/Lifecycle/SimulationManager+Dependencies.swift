import Foundation
import GSSA
import Logging

extension SimulationManager {
    /// The most runs one `after` may name.
    static let maximumDependencies = 100

    /// Checks `after` for `record`: each name must be a run of the same owner (exact GUID, no
    /// prefix), and the graph must stay acyclic. Unknown and foreign GUIDs get the same answer,
    /// so nothing about other users' runs is revealed.
    func dependencies(_ names: [String], of record: SimulationRecord) async throws -> [String] {
        guard names.count <= Self.maximumDependencies else {
            throw APIFailure(.badRequest, .client("after: at most \(Self.maximumDependencies) runs, not \(names.count)", attribute: "after"))
        }
        var result: [String] = []
        for raw in names {
            let name: String
            do {
                name = try normalize(raw)
            } catch {
                throw APIFailure(.badRequest, .client("after: '\(raw.prefix(64))' is not a GUID", attribute: "after"))
            }
            guard name != record.name else {
                throw APIFailure(.badRequest, .client("after: \(record.name) cannot wait for itself (a cycle)", attribute: "after"))
            }
            guard try await store.record(owner: record.owner, name: name) != nil else {
                throw APIFailure(.badRequest, .client(
                    "after: no simulation \(name) of \(record.owner) (unknown, or another user's)", attribute: "after"))
            }
            if !result.contains(name) { result.append(name) }
        }
        // A cycle needs a path from a dependency back to this run through earlier `after`s.
        var seen = Set<String>()
        var pending = result
        while let next = pending.popLast() {
            if next == record.name {
                throw APIFailure(.badRequest, .client(
                    "after: waiting for \(result.joined(separator: ", ")) would make a cycle back to \(record.name)", attribute: "after"))
            }
            guard seen.insert(next).inserted, seen.count <= 100_000 else { continue }
            if let run = try await store.record(owner: record.owner, name: next) { pending += run.after ?? [] }
        }
        return result
    }

    /// Makes `record` wait for `after`; it is queued (or cancelled) as soon as they allow.
    func wait(_ record: SimulationRecord, after: [String]) async throws -> SimulationRecord {
        let message = "Waiting for \(after.joined(separator: ", "))"
        let updated = try await store.update(guid: record.guid) {
            guard $0.state == .finalized else { return }
            $0.state = .waiting
            $0.after = after
            $0.message = message
            $0.percentage = 0
            $0.exitCode = ErrorCode.inProgress.name
            $0.updatedAt = Date()
        } ?? record
        await hub.publish(ServerEvent(type: .status, guid: record.guid, state: .waiting, percentage: 0,
                                      status: GSSAError(.inProgress, message)), owner: record.owner)
        await releaseIfReady(record.guid)
        return try await store.record(guid: record.guid) ?? updated
    }

    /// A waiting run whose dependencies all succeeded is queued; one whose dependency failed,
    /// was cancelled or is gone ends `E_CANCELLED` naming it. Otherwise it keeps waiting.
    func releaseIfReady(_ key: String) async {
        do {
            guard let record = try await store.record(guid: key), record.state == .waiting else { return }
            for name in record.after ?? [] {
                let dependency = try await store.record(owner: record.owner, name: name)
                switch dependency?.state {
                case .succeeded?:
                    continue
                case .failed?, .cancelled?, nil:
                    let what = dependency == nil ? "no longer exists" : dependency?.state == .failed ? "failed" : "was cancelled"
                    await finish(guid: key, outcome: .cancelled("dependency \(name) \(what)"))
                    return
                default:
                    return
                }
            }
            try await enqueue(record)
        } catch {
            logger.error("cannot check a waiting run's dependencies; the next end of a run or restart checks again",
                         metadata: ["guid": "\(key)", "error": "\(error)"])
        }
    }

    /// After a run ended: the runs waiting for it, and its sweep's parent, follow.
    func ended(_ record: SimulationRecord) async {
        do {
            let waiting = try await store.records(in: [.waiting])
            for run in waiting where run.owner == record.owner && (run.after ?? []).contains(record.name) {
                await releaseIfReady(run.guid)
            }
        } catch {
            logger.error("cannot list waiting runs", metadata: ["guid": "\(record.guid)", "error": "\(error)"])
        }
        if let parent = record.parent { await settleSweep(owner: record.owner, name: parent) }
    }

    /// At start: sweeps whose children all ended while the server was down settle, and waiting
    /// runs are checked again.
    func recoverArrays() async {
        do {
            for parent in try await store.records(in: [.running]) where parent.isSweepParent {
                await settleSweep(owner: parent.owner, name: parent.name)
            }
            for run in try await store.records(in: [.waiting]) { await releaseIfReady(run.guid) }
        } catch {
            logger.error("cannot list sweeps and waiting runs for recovery", metadata: ["error": "\(error)"])
        }
    }
}
