import Foundation
import GSSA
import Logging
import GSSAArchive

extension SimulationManager {
    /// A stand-in for the owner when the server acts for them (children, reschedules): it is
    /// never stored and carries no rights beyond the owner's own runs.
    nonisolated func acting(as owner: String) -> UserRecord {
        UserRecord(name: owner, tokenDigest: "", admin: false)
    }

    /// Makes `parent` the parent of `plan.size` children, `PARENT-1` … `PARENT-N`, each a copy of
    /// the parent (definition with its swept values, inputs, files) finalized and started on
    /// its own (after `after`, if given). The parent holds no container: it is `running` until
    /// every child has ended, then ends with their aggregate outcome.
    func startSweep(_ parent: SimulationRecord, plan: SweepPlan, after: [String]) async throws -> SimulationRecord {
        let directory = URL(fileURLWithPath: parent.directory)
        let root = try await work.run(.writeDefinition, key: parent.guid) { () throws -> LocatedElement in
            try XMLTreeReader.read(contentsOf: directory.appendingPathComponent("original.xml"))
        }
        try plan.check(against: root)
        let width = String(plan.size).count
        let names = (1...plan.size).map { "\(parent.name)-\(String(repeating: "0", count: width - String($0).count))\($0)" }
        guard names.allSatisfy({ $0.count <= 64 }) else {
            throw APIFailure(.badRequest, .client(
                "sweep: the children's GUIDs (\(names.last ?? "")) would be longer than 64 characters: use a shorter GUID",
                attribute: "sweep"))
        }
        let owner = acting(as: parent.owner)
        for name in names where try await store.record(owner: parent.owner, name: name) != nil {
            throw APIFailure.conflict("sweep: a simulation \(name) exists already; the children are named \(names[0]) to \(names.last ?? "")")
        }
        // Every child's definition must parse (a value of the wrong type is refused now, naming it).
        let definitions = try await work.run(.writeDefinition, key: parent.guid) { () throws -> [Data] in
            try (0..<plan.size).map { index in
                let values = plan.values(of: index)
                let data = SweepPlan.definition(root, values: values)
                do {
                    _ = try SimulationDefinition.parse(data)
                } catch {
                    let named = values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                    throw APIFailure(.badRequest, .client(
                        "sweep: the child with \(named) is not a valid definition: \(GSSAError.wrapping(error).message)",
                        attribute: "sweep"))
                }
                return data
            }
        }
        let started = try await store.update(guid: parent.guid) {
            guard $0.state == .finalized else { return }
            $0.state = .running
            $0.sweepSize = plan.size
            $0.sweepParameters = plan.parameters
            $0.after = after.isEmpty ? nil : after
            $0.message = "Sweep of \(plan.size) runs: creating them"
            $0.percentage = 0
            $0.exitCode = ErrorCode.inProgress.name
            $0.updatedAt = Date()
        }
        guard let started, started.state == .running, started.isSweepParent else {
            throw APIFailure.conflict("simulation \(parent.name) changed while its sweep was being prepared")
        }
        creatingSweeps.insert(parent.guid)
        var made = 0
        for (index, name) in names.enumerated() {
            // Cancelled meanwhile: no more children.
            guard let current = try await store.record(guid: parent.guid), !current.state.isTerminal else { break }
            do {
                try await createChild(name, of: parent, values: plan.values(of: index), definition: definitions[index],
                                      after: after, user: owner)
                made += 1
            } catch {
                creatingSweeps.remove(parent.guid)
                let reason = GSSAError.wrapping(error)
                logger.error("cannot create a sweep's child", metadata: ["guid": "\(parent.guid)", "child": "\(name)", "error": "\(reason)"])
                let count = made
                try await store.update(guid: parent.guid) {
                    $0.sweepSize = count
                    $0.message = "Sweep stopped at \(count) of \(plan.size) runs: \(name): \(reason.message)"
                }
                if made == 0 {
                    await finish(guid: parent.guid, outcome: .server("no child of the sweep could be created: \(name): \(reason.message)"))
                } else {
                    await settleSweep(owner: parent.owner, name: parent.name)
                }
                throw APIFailure.from(error)
            }
        }
        creatingSweeps.remove(parent.guid)
        await settleSweep(owner: parent.owner, name: parent.name)
        return try await store.record(guid: parent.guid) ?? started
    }

    /// One child: created, given its definition and the parent's inputs, finalized, started.
    private func createChild(
        _ name: String, of parent: SimulationRecord, values: [String: String], definition: Data, after: [String], user: UserRecord
    ) async throws {
        let made = try await derive(name, from: parent, definition: definition, user: user) {
            $0.parent = parent.name
            $0.sweepValues = values
        }
        guard let finalized = made.finalized else { return }
        if after.isEmpty {
            try await enqueue(finalized)
        } else {
            _ = try await wait(finalized, after: after)
        }
    }

    /// The sweep's aggregate; when every child has ended, the parent ends too: succeeded when
    /// all succeeded, failed (with the first failure's code) when any failed, else cancelled.
    func settleSweep(owner: String, name: String) async {
        do {
            guard let parent = try await store.record(owner: owner, name: name), parent.isSweepParent,
                !parent.state.isTerminal
            else { return }
            let tally = try await store.sweepTally(owner: owner, parent: name)
            let status = tally.status(size: parent.sweepSize ?? tally.total, parameters: parent.sweepParameters ?? [])
            let message = "Sweep of \(status.size) runs: \(tally.ended) ended"
            try await store.update(guid: parent.guid) {
                guard !$0.state.isTerminal else { return }
                $0.percentage = status.percentage
                $0.message = message
                $0.updatedAt = Date()
            }
            await hub.publish(ServerEvent(type: .status, guid: parent.guid, state: .running, percentage: status.percentage,
                                          status: GSSAError(.inProgress, message)), owner: owner)
            guard !creatingSweeps.contains(parent.guid), tally.total >= status.size, tally.ended == tally.total else { return }
            let failed = tally.counts[.failed] ?? 0
            let cancelled = tally.counts[.cancelled] ?? 0
            let outcome: GSSAError
            if let first = tally.firstFailure {
                let code = first.exitCode.flatMap(ErrorCode.init(name:)) ?? .server
                outcome = GSSAError(code == .success || code == .inProgress ? .server : code,
                                    "\(failed) of \(status.size) runs failed (first: \(first.name): \(first.message ?? ""))")
            } else if cancelled > 0 {
                outcome = .cancelled("\(cancelled) of \(status.size) runs were cancelled")
            } else {
                outcome = GSSAError(.success, "all \(status.size) runs succeeded")
            }
            await finish(guid: parent.guid, outcome: outcome)
        } catch {
            logger.error("cannot settle a sweep; the next child's end or a restart does", metadata: ["sweep": "\(name)", "error": "\(error)"])
        }
    }

    /// The parent's summary of its children.
    func sweepStatus(of parent: SimulationRecord) async throws -> SweepStatus {
        let tally = try await store.sweepTally(owner: parent.owner, parent: parent.name)
        return tally.status(size: parent.sweepSize ?? tally.total, parameters: parent.sweepParameters ?? [])
    }

    /// Cancelling a sweep ends the parent `E_CANCELLED` and cancels every child not yet ended.
    func cancelSweep(_ parent: SimulationRecord) async throws -> SimulationRecord {
        await finish(guid: parent.guid, outcome: .cancelled("Cancelled at user request (with its sweep)"))
        let user = acting(as: parent.owner)
        for child in try await store.children(owner: parent.owner, parent: parent.name) where !child.state.isTerminal {
            do {
                try await cancel(guid: child.name, user: user)
            } catch let failure as APIFailure where failure.kind == .conflict {
                continue  // ended meanwhile
            }
        }
        return try await store.record(guid: parent.guid) ?? parent
    }

    /// The parent's results bundle: every child's results under `PARENT/CHILD/` and `sweep.csv`.
    func sweepBundle(_ parent: SimulationRecord) async throws -> URL {
        let children = try await store.children(owner: parent.owner, parent: parent.name)
        let job = SweepBundle.Job(
            prefix: parent.name, parameters: parent.sweepParameters ?? [],
            children: children.map {
                SweepBundle.Child(name: $0.name, directory: URL(fileURLWithPath: $0.directory), values: $0.sweepValues ?? [:],
                                  state: $0.state.rawValue, code: $0.exitCode ?? "", cleaned: $0.cleaned)
            })
        let directory = URL(fileURLWithPath: parent.directory)
        let partial = BundleWorker.partialURL(.results, in: directory)
        let archive = BundleWorker.archiveURL(.results, in: directory)
        try await work.run(.bundle, key: parent.guid) { try SweepBundle.build(job, into: partial) }
        try BundleWorker.install(partial, as: archive)
        return archive
    }
}
