import Foundation
import GSSA
import GSSAArchive
import LaunchProtocol
import CoreMetrics
import Logging

extension SimulationManager {
    // MARK: status, search, properties

    /// `retrieve_status`: the summary of one run (never a crash, unlike the original's bug 3).
    public func summary(guid: String, user: UserRecord) async throws -> SimulationSummary {
        try await summary(of: try await resolve(guid, user: user))
    }

    /// The summary of a record already resolved for the caller.
    public func summary(of record: SimulationRecord) async throws -> SimulationSummary {
        let position = record.state == .queued ? try await queuePosition(of: record.guid) : nil
        var summary = SimulationSummary(record: record, serverID: configuration.serverID, position: position)
        if record.isSweepParent { summary.sweep = try await sweepStatus(of: record) }
        return summary
    }

    /// `search`: the user's runs (an admin's: everyone's) whose GUID starts with `prefix`.
    ///
    /// `owner` narrows to one user's runs (an admin's choice; a user asking for someone else's
    /// gets nothing, exactly as if that user had none).
    public func search(prefix: String, limit: Int?, user: UserRecord, owner: String? = nil, filter: RunFilter = RunFilter())
        async throws -> [SimulationSummary]
    {
        let name = prefix.isEmpty ? "" : try normalize(prefix)
        if let limit, limit < 0 { throw APIFailure(.badRequest, .client("limit must not be negative")) }
        if let owner, !user.admin, owner != user.name { return [] }
        let records = try await store.search(prefix: name, owner: owner ?? (user.admin ? nil : user.name), limit: limit, filter: filter)
        var positions: [String: Int] = [:]
        for record in records where record.state == .queued {
            positions[record.guid] = try await store.queuePosition(guid: record.guid)
        }
        var summaries: [SimulationSummary] = []
        for record in filter.parent == nil ? records : records.reversed() {
            var summary = SimulationSummary(record: record, serverID: configuration.serverID, position: positions[record.guid])
            if record.isSweepParent { summary.sweep = try await sweepStatus(of: record) }
            summaries.append(summary)
        }
        return summaries
    }

    /// `properties`: where the run lives on the server.
    public func properties(guid: String, user: UserRecord) async throws -> [String: String] {
        let record = try await resolve(guid, user: user)
        var properties = ["location": record.directory, "server_id": configuration.serverID, "state": record.state.rawValue]
        if let family = record.family { properties["family"] = family }
        if let image = record.imageID { properties["image_id"] = image }
        if let container = record.containerID { properties["container_id"] = container }
        if let node = record.node { properties["node"] = node }
        return properties
    }

    /// The stored event log of a run.
    public func events(guid: String, user: UserRecord) async throws -> [API.Event] {
        let record = try await resolve(guid, user: user)
        // Stored under the run's internal key; shown under the client's GUID.
        return try await store.events(guid: record.guid).map { event in
            API.Event(id: event.id, guid: record.name, kind: event.kind, percentage: event.percentage, code: event.code,
                      message: event.message, at: Timestamp(event.at))
        }
    }

    // MARK: logs

    /// `logs`: the runner's `job.out` / `job.err` once collected, else live from the daemon.
    public func logs(guid: String, only: LogStream?, user: UserRecord) async throws -> LogsReply {
        let record = try await resolve(guid, user: user)
        let logs = URL(fileURLWithPath: record.directory).appendingPathComponent("output/logs")
        func read(_ name: String) -> String? {
            FileManager.default.contents(atPath: logs.appendingPathComponent(name).path).map { String(decoding: $0, as: UTF8.self) }
        }
        var reply: LogsReply
        if let out = read("job.out"), let err = read("job.err") {
            reply = LogsReply(stdout: out, stderr: err)
        } else if record.isSweepParent {
            throw APIFailure(.notFound, .client("simulation \(record.name) is a sweep: its children have the logs"))
        } else if record.state == .running || record.state == .starting || record.state == .suspended {
            do {
                reply = try await launcher.logs(guid: record.guid)
            } catch {
                throw APIFailure(.server, .server("logs of \(record.name) are not available yet: \(GSSAError.wrapping(error).message)"))
            }
        } else {
            throw APIFailure(.notFound, .client("simulation \(record.name) has no logs (\(record.state.rawValue))"))
        }
        if only == .stdout { reply.stderr = nil }
        if only == .stderr { reply.stdout = nil }
        return reply
    }

    // MARK: bundles

    public typealias Bundle = API.Bundle

    /// Builds `results_archive.tgz` or `diagnostic_archive.tgz` in the working directory.
    ///
    /// Members sit under `<GUID>/`. Results: `output/`, `original.xml`, `guid`, `simimage.txt`.
    /// Diagnostic: `input/` (with `glossia-simimage.txt`, the image ID for re-running),
    /// `logs/`, `original.xml`, `guid`, `status.json`, `mesher.log`. Whatever could not be
    /// added is listed in `diagnostic_missing.txt`.
    ///
    /// The archive is built off the actor (``BundleWorker`` on ``BlockingWork``'s pool), so
    /// other requests are answered meanwhile; a run cleaned during the build gets no bundle.
    public func bundle(_ kind: Bundle, guid: String, user: UserRecord) async throws -> URL {
        let record = try await resolve(guid, user: user)
        guard !record.cleaned else { throw APIFailure.conflict("simulation \(record.name) was cleaned; its files are gone") }
        if kind == .results && !record.state.isTerminal {
            throw APIFailure.conflict("simulation \(record.name) is \(record.state.rawValue); results exist once it has finished")
        }
        if kind == .results && record.isSweepParent { return try await sweepBundle(record) }
        let directory = URL(fileURLWithPath: record.directory)
        var status: Data?
        if kind == .diagnostic {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            status = try encoder.encode(SimulationSummary(record: record, serverID: configuration.serverID))
        }
        let job = BundleWorker.Job(kind: kind, directory: directory, prefix: record.name, imageID: record.imageID ?? "", status: status)
        let partial = BundleWorker.partialURL(kind, in: directory)
        let archive = BundleWorker.archiveURL(kind, in: directory)
        do {
            try await work.run(.bundle, key: record.guid) { try BundleWorker.build(job, into: partial) }
        } catch {
            // Cleaned meanwhile: its directory went away under the build.
            try await requireNotCleaned(record)
            throw error
        }
        do {
            try await requireNotCleaned(record)
        } catch {
            try? FileManager.default.removeItem(at: partial)
            throw error
        }
        try BundleWorker.install(partial, as: archive)
        return archive
    }

    /// After an await: 409 if the run was cleaned (or removed) meanwhile.
    func requireNotCleaned(_ record: SimulationRecord) async throws {
        guard let current = try await store.record(guid: record.guid), !current.cleaned else {
            throw APIFailure.conflict("simulation \(record.name) was cleaned; its files are gone")
        }
    }

    /// `request_results` / `request_diagnostic` with a target: pushes the bundle through the
    /// run's transferrer.
    public func pushBundle(_ kind: Bundle, guid: String, target: String, user: UserRecord) async throws -> [String: String] {
        let archive = try await bundle(kind, guid: guid, user: user)
        let directory = archive.deletingLastPathComponent()
        let record = try await resolve(guid, user: user)
        try requireDefinition(record)
        let (definition, _) = try loadConfiguration(directory: directory)
        let transferrer = try makeTransferrer(definition.transferrer, directory: directory, owner: record.owner)
        return try await transferrer.push([TransferFile(local: archive.lastPathComponent, remote: target)],
                                          from: directory, remoteRoot: record.remoteDirectory ?? ".")
    }

    /// `request_files`: pushes named files of the run directory through its transferrer.
    public func pushFiles(guid: String, files: [String: String], user: UserRecord) async throws -> [String: String] {
        let record = try await resolve(guid, user: user)
        guard !record.cleaned else { throw APIFailure.conflict("simulation \(record.name) was cleaned; its files are gone") }
        let directory = URL(fileURLWithPath: record.directory)
        try requireDefinition(record)
        let (definition, _) = try loadConfiguration(directory: directory)
        let transferrer = try makeTransferrer(definition.transferrer, directory: directory, owner: record.owner)
        let list = files.sorted { $0.key < $1.key }.map { TransferFile(local: $0.key, remote: $0.value) }
        return try await transferrer.push(list, from: directory, remoteRoot: record.remoteDirectory ?? ".")
    }

    // MARK: clean

    /// `clean`: stops the run if needed, destroys its container, removes the working
    /// directory. The row stays, marked cleaned. Errors are reported, never swallowed.
    @discardableResult
    ///
    /// A run never finalized (nothing ran) is forgotten altogether: directory, record and
    /// events, so a refused launch leaves nothing behind.
    public func clean(guid: String, user: UserRecord) async throws -> SimulationRecord {
        var record = try await resolve(guid, user: user)
        if record.state == .created {
            let directory = URL(fileURLWithPath: record.directory)
            if FileManager.default.fileExists(atPath: directory.path) {
                do {
                    try FileManager.default.removeItem(at: directory)
                } catch {
                    throw APIFailure(.server, .server("cannot remove \(directory.path): \(error.localizedDescription)"))
                }
            }
            try await store.removeRun(guid: record.guid)
            record.cleaned = true
            return record
        }
        if record.state.isActive || record.state == .created || record.state == .finalized || record.state == .waiting {
            if !record.state.isTerminal { record = try await cancel(guid: record.name, user: user) }
            await waitForTask(guid: record.guid)
        }
        // The container may still exist (finished but not removed): best effort, on a fresh connection.
        do {
            try await launcher.cancel(guid: record.guid)
        } catch let refusal as GSSAError where refusal.code == .client {
            // The daemon does not know the run (never started, or already removed): nothing to destroy.
        } catch {
            logger.warning("clean: cannot destroy the run's container; the daemon's reaper removes it after its TTL",
                           metadata: ["guid": "\(record.guid)", "error": "\(error)"])
        }
        let directory = URL(fileURLWithPath: record.directory)
        if FileManager.default.fileExists(atPath: directory.path) {
            do {
                try FileManager.default.removeItem(at: directory)
            } catch {
                throw APIFailure(.server, .server("cannot remove \(directory.path): \(error.localizedDescription)"))
            }
        }
        return try await store.update(guid: record.guid) {
            $0.cleaned = true
            $0.updatedAt = Date()
        } ?? record
    }

    // MARK: announce and identify

    /// `request_announce`: one `announce` per stored run the user may see.
    public func announcements(user: UserRecord) async throws -> [ServerEvent] {
        try await store.search(prefix: "", owner: user.admin ? nil : user.name, limit: nil).map { record in
            ServerEvent(type: .announce, guid: record.name, state: record.state, percentage: record.percentage,
                        status: record.status ?? GSSAError(.inProgress, record.message ?? ""), directory: record.directory,
                        timestamp: record.updatedAt)
        }
    }

    /// `request_identify`: server ID, host name and free container slots.
    public func identify() async -> ServerEvent {
        var free: Int?
        if let usage = try? await launcher.usage() { free = max(0, usage.max - usage.running - starting.count) }
        return ServerEvent(type: .identify, serverID: configuration.serverID, hostname: ProcessInfo.processInfo.hostName,
                           freeSlots: free)
    }

    /// Refreshes the state gauges; called when `/metrics` is scraped.
    public func refreshMetrics() async {
        do {
            metrics.setRuns(try await store.countByState())
        } catch {
            // The gauges keep their last values; the next scrape tries again.
            logger.error("metrics: cannot count runs by state", metadata: ["error": "\(error)"])
        }
        do {
            let usage = try await launcher.usage()
            metrics.slotsInUse.record(usage.running + starting.count)
        } catch {
            logger.warning("metrics: the launch daemon does not answer USAGE", metadata: ["error": "\(error)"])
        }
    }

    /// Compares two definitions conceptually (reference §3.6).
    public nonisolated func compare(_ left: Data, _ right: Data) throws -> [String] {
        let a: SimulationDefinition
        let b: SimulationDefinition
        do { a = try SimulationDefinition.parse(left) } catch { throw APIFailure(.badRequest, GSSAError(.client, "left: \(error.message)")) }
        do { b = try SimulationDefinition.parse(right) } catch { throw APIFailure(.badRequest, GSSAError(.client, "right: \(error.message)")) }
        return Comparator(a, b).differences()
    }
}
