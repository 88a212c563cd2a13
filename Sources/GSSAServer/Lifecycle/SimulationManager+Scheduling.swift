import Foundation
import Families
import GSSA
import LaunchProtocol
import Logging

extension SimulationManager {
    // MARK: scheduling

    /// What the scheduler sees of a queued run; requests stored before v7 take the defaults.
    nonisolated func queuedRun(_ record: SimulationRecord) -> QueuedRun {
        QueuedRun(
            guid: record.guid, owner: record.owner, project: record.project ?? record.owner, family: record.family,
            priority: record.priority ?? 0, request: request(of: record), queued: record.queuedAt ?? record.updatedAt,
            sequence: record.queueSequence ?? .max)
    }

    nonisolated func request(of record: SimulationRecord) -> ResourceRequest {
        let defaults = configuration.scheduling.defaultRequest
        return ResourceRequest(cores: record.cores ?? defaults.cores, memory: record.memory ?? defaults.memory,
                               walltime: record.walltime)
    }

    /// A family's default request (`family.yml` `resources`), the server's where it says nothing.
    func familyRequest(_ name: String) throws(GSSAError) -> ResourceRequest {
        var request = configuration.scheduling.defaultRequest
        guard let family = try? registry.family(named: name), let resources = family.resources else { return request }
        if let cores = resources.cores { request.cores = cores }
        if let memory = resources.memory {
            guard let bytes = ByteSize.parse(memory) else {
                throw GSSAError.client("family \(name): resources.memory '\(memory.prefix(64))' is not a size such as 4g")
            }
            request.memory = bytes
        }
        if let walltime = resources.walltime { request.walltime = walltime }
        return request
    }

    /// Pools: `family.yml` `pool`, overridden by `gssa server --pool`.
    func pools() -> [String: Int] {
        var pools = configuration.scheduling.pools
        for family in registry.families {
            if let limit = family.maximumRunning, pools[family.name] == nil { pools[family.name] = limit }
        }
        return pools
    }

    /// The snapshot one decision looks at: active runs, quotas, pools and the usage history.
    func schedulingSnapshot(freeSlots: Int, now: Date = Date()) async throws -> SchedulingSnapshot {
        let scheduling = configuration.scheduling
        let holding = try await store.records(in: [.starting, .running])
            .filter { SchedulingSnapshot.holdsResources($0.state) }
        let active = holding.map {
            ActiveRun(owner: $0.owner, project: $0.project ?? $0.owner, family: $0.family, request: request(of: $0), started: $0.startedAt)
        }
        var usage = UsageHistory()
        let halfLife = scheduling.halfLife
        // Ten half-lives back: older runs weigh less than a thousandth. FIFO needs none of it.
        let ended = scheduling.scheduler.usesHistory
            ? try await store.records(finishedSince: now.addingTimeInterval(-10 * halfLife)) : []
        for record in ended {
            guard let started = record.startedAt, let finished = record.finishedAt else { continue }
            let seconds = max(0, finished.timeIntervalSince(started))
            usage.add(owner: record.owner, project: record.project ?? record.owner, coreSeconds: seconds * request(of: record).cores,
                      age: now.timeIntervalSince(finished), halfLife: halfLife)
        }
        for run in active {
            let seconds = max(0, now.timeIntervalSince(run.started ?? now))
            // A run that has just started counts at least one second: it holds cores now.
            usage.add(owner: run.owner, project: run.project, coreSeconds: max(seconds, 1) * run.request.cores, age: 0, halfLife: halfLife)
        }
        return SchedulingSnapshot(
            now: now,
            capacity: HostCapacity(cores: scheduling.capacityCores, memory: scheduling.capacityMemory, freeSlots: freeSlots),
            active: active, userQuotas: try await store.quotas(.user), projectQuotas: try await store.quotas(.project),
            pools: pools(), usage: usage)
    }

    /// The queued run to start now, or nil; the runs left waiting are told why (once per change).
    func nextToStart(freeSlots: Int) async throws -> SimulationRecord? {
        let queue = try await store.records(in: [.queued])
        metrics.setQueue(queue.map { $0.project ?? $0.owner })
        guard !queue.isEmpty else { return nil }
        let snapshot = try await schedulingSnapshot(freeSlots: freeSlots)
        metrics.setProjects(snapshot.projects, quotas: snapshot.projectQuotas)
        let candidates = queue.map(queuedRun)
        let clock = ContinuousClock.now
        let decision = configuration.scheduling.scheduler.decide(candidates, snapshot: snapshot)
        metrics.record(metrics.schedulingLatency, ContinuousClock.now - clock)
        if let next = decision.next { return queue[next] }
        await explainWaiting(queue, candidates: candidates, snapshot: snapshot)
        return nil
    }

    /// Stores and announces why each queued run waits, when that changed.
    private func explainWaiting(_ queue: [SimulationRecord], candidates: [QueuedRun], snapshot: SchedulingSnapshot) async {
        for (record, run) in zip(queue, candidates) {
            let reason = snapshot.block(run)?.1 ?? "waiting: runs ranked before it start first"
            guard record.queueReason != reason else { continue }
            do {
                try await store.update(guid: record.guid) {
                    guard $0.state == .queued else { return }
                    $0.queueReason = reason
                }
            } catch {
                logger.error("cannot store why a run waits", metadata: ["guid": "\(record.guid)", "error": "\(error)"])
                continue
            }
            await hub.publish(ServerEvent(type: .status, guid: record.guid, state: .queued, percentage: 0,
                                          status: GSSAError(.inProgress, reason)), owner: record.owner)
        }
    }

    /// Checks a start's project and priority and the rate limits; returns the project to charge.
    func admitStart(_ record: SimulationRecord, options: API.Start?, user: UserRecord) async throws -> (project: String, priority: Int) {
        let priority = options?.priority ?? 0
        let highest = user.admin ? 100 : 50
        guard (0...highest).contains(priority) else {
            throw APIFailure(.badRequest, .client(
                "priority must be from 0 to \(highest)\(user.admin ? "" : " for a user (admins up to 100)"), not \(priority)",
                attribute: "priority"))
        }
        let memberships = try await store.projects(of: record.owner)
        let project: String
        if let asked = options?.project {
            guard !asked.isEmpty, asked.count <= 64 else {
                throw APIFailure(.badRequest, .client("project must be 1 to 64 characters", attribute: "project"))
            }
            if memberships.contains(asked) {
                project = asked
            } else if user.admin, try await store.projectExists(asked) {
                project = asked
            } else if try await store.projectExists(asked) {
                throw APIFailure(.forbidden, .client("project '\(asked)': \(record.owner) is not a member", attribute: "project"))
            } else {
                throw APIFailure(.badRequest, .client("project '\(asked.prefix(64))' does not exist", attribute: "project"))
            }
        } else {
            project = memberships.first ?? record.owner
        }
        let scheduling = configuration.scheduling
        let queued = try await store.records(in: [.queued])
        if queued.count >= scheduling.maximumPending {
            throw APIFailure(.tooManyRequests, .client(
                "the server holds \(queued.count) queued runs, its limit (`gssa server --max-pending`); try again later"),
                retryAfter: 30)
        }
        let mine = queued.reduce(0) { $0 + ($1.owner == record.owner ? 1 : 0) }
        if mine >= scheduling.maximumPendingPerUser {
            throw APIFailure(.tooManyRequests, .client(
                "\(record.owner) has \(mine) queued runs, the limit per user (`gssa server --max-pending-per-user`); try again when some have started"),
                retryAfter: 30)
        }
        return (project, priority)
    }
}
