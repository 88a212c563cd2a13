import AsyncHTTPClient
import Families
import Foundation
import GSSA
import GSSAArchive
import LaunchProtocol
import Logging

/// Owns every run's lifecycle: upload, finalize, queue, launch, status, collection, bundles,
/// cancel and clean (reference §1.4), with the original's failure modes fixed.
///
/// It is the single coordinator: the HTTP layer only authenticates and translates. Every
/// transition is written to the store before anything acts on it, and every failure ends in a
/// terminal state with an error code and a human message.
public actor SimulationManager {
    public nonisolated let configuration: ServerConfiguration
    public nonisolated let hub: EventHub
    public nonisolated let metrics: ServerMetrics
    let store: any SimulationStore
    let launcher: any SimulationLauncher
    let mesher: any HostMesher
    /// Replaced by ``reloadFamilies()`` (SIGHUP, `POST /api/v1/admin/families/reload`).
    var registry: FamilyRegistry
    let httpClient: HTTPClient
    let logger: Logger
    /// Where bundling, archive checks, extraction and configuration writes run (off the actor).
    public nonisolated let work: BlockingWork
    /// Runs being finalized (the actor is free while their inputs are pulled).
    var finalizing: Set<String> = []
    /// Sweep parents whose children are still being made: they do not settle meanwhile.
    var creatingSweeps: Set<String> = []

    /// Every task the manager starts, by key: a run's supervision (its GUID), `destroy:GUID`,
    /// `flush:GUID`, `pump`. Each runs as a child of ``run()`` and removes itself when done;
    /// ``shutdown()`` cancels and awaits them.
    var tasks: [String: OwnedTask] = [:]
    /// The group those tasks run in: driven by ``run()`` (the server's RecoveryService).
    nonisolated let owned = OwnedTasks()
    var taskIDs: [String: UUID] = [:]
    /// Runs settled by `cancel` whose container is still being destroyed: their late events are dropped.
    var cancelled: Set<String> = []
    /// Runs whose START is on its way to the daemon, unanswered.
    var startInFlight: Set<String> = []
    /// Why the daemon does not answer, while it does not.
    var daemonWaiting: String?
    var daemonBackoff = Backoff(initial: .milliseconds(500))
    /// Runs between leaving the queue and their container starting (they hold a slot the
    /// daemon does not count yet).
    var starting: Set<String> = []
    var lastPersisted: [String: ContinuousClock.Instant] = [:]
    var pendingStatus: [String: (Double?, String)] = [:]
    var flushScheduled: Set<String> = []
    var lastSequence: Int64 = 0
    var pumping = false
    var shuttingDown = false
    var pumpAgain = false

    public init(
        configuration: ServerConfiguration, store: any SimulationStore, launcher: any SimulationLauncher,
        mesher: any HostMesher = UnavailableHostMesher(), registry: FamilyRegistry = .standard(),
        httpClient: HTTPClient = .shared, metrics: ServerMetrics = ServerMetrics(),
        logger: Logger = Logger(label: "gssa.server"), work: BlockingWork = BlockingWork()
    ) throws {
        self.work = work
        self.configuration = configuration
        self.store = store
        self.launcher = launcher
        self.mesher = mesher
        self.registry = registry
        self.httpClient = httpClient
        self.metrics = metrics
        self.logger = logger
        self.hub = EventHub(resolveName: { [store, logger] key in
            // Only for events of runs no request has touched since a restart; the key is shown otherwise.
            do {
                return try await store.record(guid: key)?.name
            } catch {
                logger.error("cannot read a run's name for its events; its key is shown", metadata: ["guid": "\(key)", "error": "\(error)"])
                return nil
            }
        })
        let fm = FileManager.default
        for directory in [configuration.runsDirectory, configuration.transferDirectory] {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        }
    }

    // MARK: Names and access

    /// Upper-cases a GUID or prefix and refuses anything but letters, digits, `-` and `_`.
    nonisolated func normalize(_ guid: String) throws(APIFailure) -> String {
        let upper = guid.uppercased()
        guard !upper.isEmpty, upper.count <= 64,
            upper.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else {
            throw APIFailure(.badRequest, .client("'\(guid)' is not a GUID: use letters, digits, '-' and '_' only"))
        }
        return upper
    }

    /// The run a GUID or GUID prefix names, if `user` may see it.
    ///
    /// GUIDs are namespaced per owner, so only the user's own runs (an admin's: everyone's)
    /// are ever looked at: another user's run cannot be told apart from no run at all. An
    /// exact GUID wins; otherwise the prefix must match exactly one run.
    public func resolve(_ guid: String, user: UserRecord) async throws -> SimulationRecord {
        let name = try normalize(guid)
        let record = try await lookup(name, guid: guid, user: user)
        await hub.register(key: record.guid, name: record.name)
        return record
    }

    private func lookup(_ name: String, guid: String, user: UserRecord) async throws -> SimulationRecord {
        if let record = try await store.record(owner: user.name, name: name) { return record }
        if user.admin {
            let exact = try await store.records(named: name)
            if exact.count == 1 { return exact[0] }
            if exact.count > 1 { throw ambiguous(guid, exact) }
        }
        let matches = try await store.search(prefix: name, owner: user.admin ? nil : user.name, limit: 11)
        switch matches.count {
        case 0: throw APIFailure.notFound(guid)
        case 1: return matches[0]
        default: throw ambiguous(guid, matches)
        }
    }

    private func ambiguous(_ guid: String, _ matches: [SimulationRecord]) -> APIFailure {
        let candidates = matches.prefix(10).map(\.name)
        return APIFailure(
            .conflict,
            .client("'\(guid)' matches more than one simulation: \(candidates.joined(separator: ", "))"
                + (matches.count > 10 ? ", …" : "")),
            candidates: candidates)
    }

    func runDirectory(_ guid: String) -> URL { configuration.runsDirectory.appendingPathComponent(guid) }

    // MARK: init, definition, files

    /// `init`: creates the run and its working directory (mode 0770, with a `guid` file).
    ///
    /// The GUID is looked up in the caller's own namespace only: another user's run of the
    /// same GUID is neither reused nor revealed. The directory is named by a fresh internal key.
    @discardableResult
    public func initialize(guid: String, user: UserRecord) async throws -> SimulationRecord {
        let name = try normalize(guid)
        if let existing = try await store.record(owner: user.name, name: name) {
            await hub.register(key: existing.guid, name: existing.name)
            return existing
        }
        let key = UUID().uuidString
        let directory = runDirectory(key)
        do {
            let fm = FileManager.default
            try fm.createDirectory(at: directory.appendingPathComponent("input"), withIntermediateDirectories: true)
            try fm.setAttributes([.posixPermissions: 0o770], ofItemAtPath: directory.path)
            try Data((name + "\n").utf8).write(to: directory.appendingPathComponent("guid"))
        } catch {
            throw GSSAError.server("cannot create the working directory \(directory.path): \(error.localizedDescription)")
        }
        var record = SimulationRecord(guid: key, name: name, owner: user.name, directory: directory.path)
        record.message = "Created"
        record.percentage = 0
        try await store.insert(record)
        await hub.register(key: key, name: name)
        return record
    }

    /// `update_settings_xml`: stores the definition as `original.xml` and announces the run.
    @discardableResult
    public func uploadDefinition(guid: String, xml: Data, user: UserRecord) async throws -> SimulationRecord {
        let record = try await initialize(guid: guid, user: user)
        guard record.state == .created else {
            throw APIFailure.conflict("simulation \(record.name) is \(record.state.rawValue); the definition can no longer change")
        }
        guard !xml.isEmpty else { throw APIFailure(.badRequest, .client("the definition is empty")) }
        try await checkStoredBytes(user: user)
        guard xml.count <= InputLimits.maximumDefinitionBytes else {
            throw APIFailure.tooLarge("the definition", limit: Int64(InputLimits.maximumDefinitionBytes), hint: Self.definitionHint)
        }
        let directory = URL(fileURLWithPath: record.directory)
        let family = try await work.run(.writeDefinition, key: record.guid) { () throws -> String? in
            do {
                try xml.write(to: directory.appendingPathComponent("original.xml"), options: .atomic)
            } catch {
                throw GSSAError.server("cannot write original.xml for \(record.name): \(error.localizedDescription)")
            }
            return (try? SimulationDefinition.parse(xml))?.family
        }
        let updated = try await store.update(guid: record.guid) {
            guard $0.state == .created, !$0.cleaned else { return }
            $0.family = family
            $0.message = "XML uploaded"
            $0.percentage = 0
            $0.updatedAt = Date()
        } ?? record
        // Cancelled or cleaned while the definition was being written: that outcome stands.
        guard updated.state == .created, !updated.cleaned else {
            throw APIFailure.conflict("simulation \(record.name) was \(updated.cleaned ? "cleaned" : updated.state.rawValue) while its definition was being stored")
        }
        await publish(ServerEvent(type: .announce, guid: updated.guid, state: updated.state, percentage: 0,
                                  status: GSSAError(.inProgress, "XML uploaded"), directory: updated.directory),
                      owner: updated.owner)
        return updated
    }

    /// `update_files`: adds inputs `{local: remote}` to fetch at finalize.
    @discardableResult
    public func updateFiles(guid: String, files: [String: String], user: UserRecord) async throws -> SimulationRecord {
        let record = try await resolve(guid, user: user)
        guard record.state == .created else {
            throw APIFailure.conflict("simulation \(record.name) is \(record.state.rawValue); its inputs can no longer change")
        }
        for (local, remote) in files {
            guard SafePath.isSafeRelative(local) else {
                throw APIFailure(.badRequest, .client("refused file name '\(local)': it must be relative and must not contain '..'"))
            }
            let isURL = remote.hasPrefix("http://") || remote.hasPrefix("https://")
            guard isURL || SafePath.isSafeRelative(remote) else {
                throw APIFailure(.badRequest, .client("refused remote name '\(remote)': it must be relative and must not contain '..'"))
            }
        }
        return try await store.update(guid: record.guid) { record in
            var map = record.files
            map.merge(files) { _, new in new }
            record.files = map
            record.updatedAt = Date()
        } ?? record
    }

    /// Stores a tar.gz of inputs sent by the client (`gssa launch`); the `tmp` transferrer
    /// reads it at finalize. The archive is checked for traversal and expansion now.
    public func uploadInputArchive(guid: String, archive: Data, user: UserRecord) async throws -> SimulationRecord {
        let limits = configuration.limits
        guard archive.count <= limits.maximumUploadBytes else {
            throw APIFailure.tooLarge("the input archive", limit: limits.maximumUploadBytes, hint: Self.hint("--max-upload-bytes"))
        }
        let record = try await prepareInputArchive(guid: guid, user: user)
        let incoming = Self.incomingArchive(in: URL(fileURLWithPath: record.directory))
        try await work.run(.checkArchive, key: record.guid) {
            do {
                try archive.write(to: incoming)
            } catch {
                throw GSSAError.server("cannot store the input archive: \(error.localizedDescription)")
            }
            try Self.checkInputArchive(incoming, limits: limits)
        }
        return try await installInputArchive(incoming, guid: record.guid)
    }

    /// Before an archive upload: the caller's run (created if new), still open for inputs.
    public func prepareInputArchive(guid: String, user: UserRecord) async throws -> SimulationRecord {
        let record = try await initialize(guid: guid, user: user)
        guard record.state == .created else {
            throw APIFailure.conflict("simulation \(record.name) is \(record.state.rawValue); its inputs can no longer change")
        }
        try await checkStoredBytes(user: user)
        do {
            try FileManager.default.createDirectory(
                at: Self.uploadedArchive(in: URL(fileURLWithPath: record.directory)).deletingLastPathComponent(),
                withIntermediateDirectories: true)
        } catch {
            throw GSSAError.server("cannot store the input archive: \(error.localizedDescription)")
        }
        return record
    }

    /// A fresh name for an archive being received, beside where it will be installed.
    nonisolated static func incomingArchive(in directory: URL) -> URL {
        uploadedArchive(in: directory).deletingLastPathComponent().appendingPathComponent("incoming-\(UUID().uuidString).tar.gz")
    }

    /// Refuses (and removes) a received archive that is not a tar, escapes its directory, or
    /// would expand beyond the limits; the member headers are read until the first one over.
    nonisolated static func checkInputArchive(_ url: URL, limits: UploadLimits) throws(APIFailure) {
        let bounds = ArchiveLimits(maximumEntries: limits.maximumArchiveEntries, maximumExpandedBytes: limits.maximumExpandedBytes)
        do {
            let scan = try TarGzReader.members(of: url, within: bounds)
            if let exceeded = scan.exceeded {
                try? FileManager.default.removeItem(at: url)
                let flag = if case .entries = exceeded { "--max-archive-entries" } else { "--max-expanded-bytes" }
                throw APIFailure(.payloadTooLarge, .client("the input archive \(exceeded.reason)\(hint(flag))"))
            }
            try TarGzReader.validate(scan.members, archiveName: "input archive")
        } catch let failure as APIFailure {
            throw failure
        } catch {
            try? FileManager.default.removeItem(at: url)
            throw APIFailure(.badRequest, GSSAError.wrapping(error, as: .client))
        }
    }

    /// Moves a checked archive into place, if the run still takes inputs.
    func installInputArchive(_ incoming: URL, guid key: String) async throws -> SimulationRecord {
        let fm = FileManager.default
        guard let record = try await store.record(guid: key), record.state == .created else {
            try? fm.removeItem(at: incoming)
            throw APIFailure.conflict("simulation inputs can no longer change")
        }
        let url = Self.uploadedArchive(in: URL(fileURLWithPath: record.directory))
        do {
            if fm.fileExists(atPath: url.path) { try fm.removeItem(at: url) }
            try fm.moveItem(at: incoming, to: url)
        } catch {
            try? fm.removeItem(at: incoming)
            throw GSSAError.server("cannot store the input archive: \(error.localizedDescription)")
        }
        return record
    }

    /// Definitions have a fixed maximum (the parser's), so the refusal says so.
    nonisolated static let definitionHint = " (the fixed GSSA-XML maximum, see docs/gssa-xml.md: split large inputs into files)"

    /// How to raise a limit, appended to refusals.
    nonisolated static func hint(_ flag: String) -> String {
        " (raise it with `gssa server \(flag)`)"
    }

    static func uploadedArchive(in directory: URL) -> URL {
        directory.appendingPathComponent("upload/input.tar.gz")
    }

    // MARK: finalize

    /// `finalize`: picks the family, pulls inputs through the transferrer and writes the
    /// family configuration. Failure is a terminal `fail` with a code and message.
    @discardableResult
    public func finalize(guid: String, remoteDirectory: String?, user: UserRecord) async throws -> SimulationRecord {
        let record = try await resolve(guid, user: user)
        guard record.state == .created else {
            throw APIFailure.conflict("simulation \(record.name) is \(record.state.rawValue); only a new simulation can be finalized")
        }
        let directory = URL(fileURLWithPath: record.directory)
        // A missing definition is the run's state, not a failure: the run stays open for it.
        try requireDefinition(record)
        // The actor is free while inputs are pulled and written: one finalize per run at a time.
        guard finalizing.insert(record.guid).inserted else {
            throw APIFailure.conflict("simulation \(record.name) is being finalized already")
        }
        defer { finalizing.remove(record.guid) }
        // A definition the server cannot run (malformed, unknown family, invalid for its family)
        // is refused: the run stays `created`, open for a corrected definition, and no failed
        // run is left behind (`gssa launch` then removes it).
        let definition: SimulationDefinition, configuration: FamilyConfiguration
        do {
            let registry = self.registry
            (definition, configuration) = try await work.run(.writeConfiguration, key: record.guid) {
                try Self.loadConfiguration(directory: directory, registry: registry)
            }
        } catch {
            throw APIFailure.from(error)
        }
        // A request above the server's bounds is refused now, not left queued forever.
        let request: ResourceRequest
        do {
            request = try ResourceRequest.resolve(
                definition.parameters, defaults: try familyRequest(configuration.family),
                bounds: self.configuration.scheduling.bounds)
        } catch {
            throw APIFailure(.badRequest, error)
        }
        let staging = directory.appendingPathComponent("transfer")
        var written: [String] = []
        do {
            let remoteRoot = remoteDirectory ?? "."
            try await stillOpen(record)
            let required = configuration.required.map { TransferFile(local: $0.remote, remote: $0.remote) }
            let extra = record.files.sorted { $0.key < $1.key }.map { TransferFile(local: $0.key, remote: $0.value) }
            try await work.run(.pull, key: record.guid) {
                let fm = FileManager.default
                try? fm.removeItem(at: staging)
                try fm.createDirectory(at: staging, withIntermediateDirectories: true)
            }
            if !required.isEmpty || !extra.isEmpty {
                let transferrer = try makeTransferrer(definition.transferrer, directory: directory, owner: record.owner)
                try await transferrer.pull(required, into: staging, remoteRoot: remoteRoot)
                try await stillOpen(record)
                try await transferrer.pull(extra, into: directory, remoteRoot: remoteRoot)
            }
            try await stillOpen(record)
            written = try await work.run(.writeConfiguration, key: record.guid) {
                defer { try? FileManager.default.removeItem(at: staging) }
                let written = try configuration.write(to: directory, inputs: staging)
                try FileManager.default.createDirectory(at: directory.appendingPathComponent("output"), withIntermediateDirectories: true)
                return written + ["output"]
            }
            try await stillOpen(record)
            let family = configuration.family
            let updated = try await store.update(guid: record.guid) {
                guard $0.state == .created, !$0.cleaned else { return }
                $0.state = .finalized
                $0.cores = request.cores
                $0.memory = request.memory
                $0.walltime = request.walltime
                $0.family = family
                $0.remoteDirectory = remoteRoot
                $0.message = "Finalized"
                $0.percentage = 0
                $0.updatedAt = Date()
            }
            try finalized(updated, record)
            return updated ?? record
        } catch let gone as FinalizeInterrupted {
            await abandonFinalize(record, staging: staging, written: written, gone: gone)
            throw gone.failure
        } catch {
            // A pull that failed because the run was cleaned meanwhile is that, not a failure.
            if let gone = await interruption(of: record) {
                await abandonFinalize(record, staging: staging, written: written, gone: gone)
                throw gone.failure
            }
            try? FileManager.default.removeItem(at: staging)
            let failure = APIFailure.from(error)
            await finish(guid: record.guid, outcome: failure.error)
            throw failure
        }
    }

    /// 409 while no definition was uploaded (nothing can be finalized or pushed yet).
    func requireDefinition(_ record: SimulationRecord) throws(APIFailure) {
        let url = URL(fileURLWithPath: record.directory).appendingPathComponent("original.xml")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw APIFailure.conflict("simulation \(record.name) has no definition yet: upload one first (PUT definition)")
        }
    }

    /// Parses `original.xml` and lets its family configure the run.
    func loadConfiguration(directory: URL) throws -> (SimulationDefinition, FamilyConfiguration) {
        try Self.loadConfiguration(directory: directory, registry: registry)
    }

    /// Parses `original.xml` and lets its family configure the run (blocking: off the actor).
    nonisolated static func loadConfiguration(directory: URL, registry: FamilyRegistry) throws -> (SimulationDefinition, FamilyConfiguration) {
        let url = directory.appendingPathComponent("original.xml")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw GSSAError.client("no definition was uploaded (original.xml is missing)")
        }
        let definition = try SimulationDefinition.parse(data)
        let family = try registry.family(for: definition)
        return (definition, try family.configure(definition))
    }

    /// The run's transferrer; `tmp` is confined to the owner's own transfer area.
    func makeTransferrer(_ configuration: TransferrerConfiguration?, directory: URL, owner: String) throws -> any Transferrer {
        let uploaded = Self.uploadedArchive(in: directory)
        let hasUpload = FileManager.default.fileExists(atPath: uploaded.path)
        let root = self.configuration.transferDirectory(for: owner)
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        } catch {
            throw GSSAError.server("cannot create the transfer directory \(root.path): \(error.localizedDescription)")
        }
        let limits = self.configuration.limits
        func tmp(_ archive: URL?) -> TmpTransferrer {
            TmpTransferrer(
                root: root, archive: archive, scratch: directory,
                limits: ArchiveLimits(maximumEntries: limits.maximumArchiveEntries, maximumExpandedBytes: limits.maximumExpandedBytes),
                limitHint: Self.hint("--max-expanded-bytes / --max-archive-entries"))
        }
        guard let configuration else {
            if hasUpload { return tmp(uploaded) }
            throw GSSAError.client("the definition needs input files but has no <transferrer>", element: "<simulationDefinition>")
        }
        switch configuration.kind {
        case "tmp":
            var archive: URL? = hasUpload ? uploaded : nil
            if archive == nil, let location = configuration.inputLocation, !location.isEmpty {
                archive = try TmpTransferrer.resolveLocation(location, root: root)
            }
            return tmp(archive)
        case "http":
            guard let url = configuration.url, !url.isEmpty else {
                throw GSSAError.client("the http transferrer needs a <url>", line: configuration.line,
                                       element: "<transferrer class=\"http\">", attribute: "url")
            }
            return HTTPTransferrer(baseURL: url, client: httpClient, timeout: self.configuration.transferTimeout)
        default:
            throw GSSAError.client("transferrer class '\(configuration.kind)' is not supported (use tmp or http)",
                                   line: configuration.line, element: "<transferrer class=\"\(configuration.kind)\">",
                                   attribute: "class")
        }
    }

    // MARK: owned tasks

    /// Runs the manager's tasks (supervisions, clean-ups, status writes, the queue pump) as
    /// children of the caller, until ``shutdown()`` has stopped them or the caller is cancelled.
    /// The server's RecoveryService calls it; so does any in-process user (`gssa run`).
    public nonisolated func run() async {
        await owned.run()
    }

    /// Starts `operation` as a task the manager owns under `key` (replacing the record of an
    /// earlier one with that key, which keeps running). It removes itself when done.
    func spawn(_ key: String, _ operation: @escaping @Sendable () async -> Void) {
        let id = UUID()
        taskIDs[key] = id
        tasks[key] = owned.submit {
            await operation()
            await self.spawnedTaskEnded(key, id)
        }
    }

    private func spawnedTaskEnded(_ key: String, _ id: UUID) {
        guard taskIDs[key] == id else { return }
        taskIDs.removeValue(forKey: key)
        tasks.removeValue(forKey: key)
    }

    // MARK: events and status

    func publish(_ event: ServerEvent, owner: String) async {
        await hub.publish(event, owner: owner)
        guard let guid = event.guid, event.type != .status else { return }
        do {
            try await store.appendEvent(StoredEvent(
                guid: guid, kind: event.type.rawValue, percentage: event.percentage, code: event.status?.code.name,
                message: event.status?.message))
        } catch {
            logger.error("cannot store an event", metadata: ["guid": "\(guid)", "kind": "\(event.type.rawValue)", "error": "\(error)"])
        }
    }

    /// A status line from a run: published at once, written to the store at most every
    /// `statusPersistInterval` (the last one is always written).
    func status(guid: String, owner: String, percentage: Double?, message: String, state: SimulationState = .running) async {
        guard !cancelled.contains(guid) else { return }
        await hub.publish(ServerEvent(type: .status, guid: guid, state: state, percentage: percentage,
                                      status: GSSAError(.inProgress, message)), owner: owner)
        pendingStatus[guid] = (percentage, message)
        let now = ContinuousClock.now
        if let last = lastPersisted[guid], now - last < configuration.statusPersistInterval {
            guard !flushScheduled.contains(guid) else { return }
            flushScheduled.insert(guid)
            let delay = configuration.statusPersistInterval - (now - last)
            spawn("flush:" + guid) {
                // Not cancelled at shutdown (see `shutdown`); a cancel here only shortens the wait.
                try? await Task.sleep(for: delay)
                await self.flushStatus(guid: guid)
            }
            return
        }
        await flushStatus(guid: guid)
    }

    func flushStatus(guid: String) async {
        flushScheduled.remove(guid)
        guard let (percentage, message) = pendingStatus.removeValue(forKey: guid) else { return }
        lastPersisted[guid] = .now
        do {
            try await store.update(guid: guid) { record in
                guard !record.state.isTerminal else { return }
                record.percentage = percentage ?? record.percentage
                record.message = message
                record.exitCode = ErrorCode.inProgress.name
                record.updatedAt = Date()
            }
            try await store.appendEvent(StoredEvent(guid: guid, kind: "status", percentage: percentage,
                                                    code: ErrorCode.inProgress.name, message: message))
        } catch {
            // Statuses are superseded by the next one; the final state is what must land.
            logger.error("cannot store a status", metadata: ["guid": "\(guid)", "error": "\(error)"])
        }
    }

    /// Ends a run: terminal state, code and message persisted, then `complete` or `fail`.
    func finish(guid: String, outcome: GSSAError, imageID: String? = nil, node: String? = nil) async {
        pendingStatus.removeValue(forKey: guid)
        lastPersisted.removeValue(forKey: guid)
        starting.remove(guid)
        let state: SimulationState = switch outcome.code {
        case .success: .succeeded
        case .cancelled: .cancelled
        default: .failed
        }
        // The first end wins (a cancel settles a run before its supervision stops).
        let record: SimulationRecord?
        var attempt = 0
        while true {
            do {
                if let current = try await store.record(guid: guid), current.state.isTerminal { return }
                record = try await store.update(guid: guid) { record in
                    guard !record.state.isTerminal else { return }
                    record.state = state
                    record.exitCode = outcome.code.name
                    record.message = outcome.message
                    if state == .succeeded { record.percentage = 100 }
                    if let imageID { record.imageID = imageID }
                    if let node { record.node = node }
                    record.queueSequence = nil
                    record.updatedAt = Date()
                }
                break
            } catch {
                attempt += 1
                logger.error("cannot store the end of a run", metadata: ["guid": "\(guid)", "attempt": "\(attempt)", "error": "\(error)"])
                guard attempt < 3 else { return }
                try? await Task.sleep(for: .milliseconds(100 * attempt))
            }
        }
        guard let record, record.state == state, record.exitCode == outcome.code.name else { return }
        logger.info("run finished", metadata: ["guid": "\(guid)", "code": "\(outcome.code.name)", "message": "\(outcome.message)"])
        await publish(ServerEvent(type: state == .succeeded ? .complete : .fail, guid: guid, state: state,
                                  percentage: record.percentage, status: outcome, directory: record.directory,
                                  node: record.node),
                      owner: record.owner)
        // Runs waiting for this one, and the sweep it belongs to, follow.
        await ended(record)
    }
}
