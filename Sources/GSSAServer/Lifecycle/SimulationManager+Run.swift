import Families
import Foundation
import GSSA
import LaunchClient
import LaunchProtocol
import CoreMetrics
import Logging

extension SimulationManager {
    // MARK: start and the queue

    /// `start`: puts the run in the persistent queue, charged to a project with a priority, and
    /// wakes the pump; the scheduler decides when it leaves the queue.
    /// A full daemon never fails a run; the run waits, visibly `queued` with its position.
    ///
    /// With `options.after` the run first waits (`waiting`) until each named run has
    /// succeeded; with `options.sweep` it becomes the parent of an array of children (see
    /// ``startSweep(_:plan:after:)``). Everything is checked before anything changes.
    @discardableResult
    public func start(guid: String, user: UserRecord, options: API.Start? = nil) async throws -> SimulationRecord {
        let record = try await resolve(guid, user: user)
        guard record.state == .finalized else {
            throw APIFailure.conflict(
                record.state == .created
                    ? "simulation \(record.name) must be finalized before it starts"
                    : "simulation \(record.name) is \(record.state.rawValue) and cannot start again")
        }
        let options = options ?? API.Start()
        let (project, priority) = try await admitStart(record, options: options, user: user)
        let after = try await dependencies(options.after ?? [], of: record)
        var plan: SweepPlan?
        if let sweep = options.sweep, !sweep.isEmpty {
            plan = try SweepPlan(sweep: sweep, order: options.sweepOrder, maximum: configuration.maximumSweepSize)
        }
        // Charged before anything else changes: a waiting run and a sweep's children keep it.
        let admitted = try await store.update(guid: record.guid) {
            $0.project = project
            $0.priority = priority
        } ?? record
        if let plan { return try await startSweep(admitted, plan: plan, after: after) }
        if !after.isEmpty { return try await wait(admitted, after: after) }
        return try await enqueue(admitted)
    }

    /// Puts a finalized (or waiting) run, already charged to its project, at the back of the
    /// queue and wakes the pump.
    @discardableResult
    func enqueue(_ record: SimulationRecord) async throws -> SimulationRecord {
        let sequence = nextSequence()
        let message = daemonWaiting.map { Self.waitingMessage($0) } ?? "Queued"
        let updated = try await store.update(guid: record.guid) {
            guard $0.state == .finalized || $0.state == .waiting else { return }
            $0.state = .queued
            $0.queuedAt = Date()
            $0.queueReason = nil
            $0.queueSequence = sequence
            $0.message = message
            $0.exitCode = ErrorCode.inProgress.name
            $0.updatedAt = Date()
        } ?? record
        guard updated.state == .queued else { return updated }
        let position = try await queuePosition(of: record.guid)
        await hub.publish(ServerEvent(type: .status, guid: record.guid, state: .queued, percentage: 0,
                                      status: GSSAError(.inProgress, message), position: position), owner: record.owner)
        await pump()
        return try await store.record(guid: record.guid) ?? updated
    }

    func nextSequence() -> Int64 {
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        lastSequence = max(lastSequence + 1, now)
        return lastSequence
    }

    /// 1-based place of a queued run; nil when it is not queued.
    public func queuePosition(of guid: String) async throws -> Int? {
        try await store.queuePosition(guid: guid)
    }

    static func waitingMessage(_ reason: String) -> String {
        "Queued (waiting for the launch daemon: \(reason))"
    }

    /// Starts queued runs while the scheduler finds one that fits (slots, cores, memory, quotas,
    /// pools), in the scheduler's order. While the daemon does
    /// not answer, nothing starts: queued runs stay queued and say so, and the pump retries.
    public func pump() async {
        if pumping {
            pumpAgain = true
            return
        }
        pumping = true
        defer { pumping = false }
        repeat {
            pumpAgain = false
            while !shuttingDown {
                let waiting: Bool
                do {
                    waiting = try await store.nextQueued() != nil
                } catch {
                    if !(error is CancellationError) {
                        logger.error("cannot read the queue; retrying", metadata: ["error": "\(error)"])
                    }
                    schedulePump()
                    break
                }
                guard waiting else {
                    metrics.setQueue([])
                    break
                }
                let usage: UsageReply
                do {
                    usage = try await launcher.usage()
                } catch {
                    await daemonUnavailable(GSSAError.wrapping(error).message)
                    schedulePump(after: daemonBackoff.next())
                    break
                }
                await daemonAvailable()
                let free = usage.max - usage.running - starting.count
                metrics.slotsInUse.record(usage.running + starting.count)
                let chosen: SimulationRecord?
                do {
                    chosen = try await nextToStart(freeSlots: free)
                } catch {
                    if !(error is CancellationError) {
                        logger.error("cannot read the queue; retrying", metadata: ["error": "\(error)"])
                    }
                    schedulePump()
                    break
                }
                guard let next = chosen else { break }
                starting.insert(next.guid)
                do {
                    try await store.update(guid: next.guid) {
                        $0.state = .starting
                        $0.queueReason = nil
                        $0.message = "Starting simulation..."
                        $0.percentage = 0
                        $0.updatedAt = Date()
                    }
                } catch {
                    starting.remove(next.guid)
                    logger.error("cannot mark run as starting; retrying", metadata: ["guid": "\(next.guid)", "error": "\(error)"])
                    schedulePump()
                    break
                }
                let owner = next.owner
                let guid = next.guid
                let sequence = next.queueSequence
                spawn(guid) { await self.execute(guid: guid, owner: owner, sequence: sequence) }
            }
        } while pumpAgain
    }

    /// The daemon did not answer: queued runs say why they wait (once per outage).
    func daemonUnavailable(_ reason: String) async {
        let first = daemonWaiting == nil
        daemonWaiting = reason
        guard first else { return }
        logger.warning("the launch daemon does not answer; queued runs wait", metadata: ["reason": "\(reason)"])
        await relabelQueued(Self.waitingMessage(reason))
    }

    /// The daemon answers again: queued runs go back to plain "Queued".
    func daemonAvailable() async {
        daemonBackoff.reset()
        guard daemonWaiting != nil else { return }
        daemonWaiting = nil
        logger.info("the launch daemon answers again")
        await relabelQueued("Queued")
    }

    private func relabelQueued(_ message: String) async {
        let queued: [SimulationRecord]
        do {
            queued = try await store.records(in: [.queued])
        } catch {
            logger.error("cannot list queued runs", metadata: ["error": "\(error)"])
            return
        }
        for record in queued {
            do {
                try await store.update(guid: record.guid) {
                    guard $0.state == .queued else { return }
                    $0.message = message
                    $0.updatedAt = Date()
                }
            } catch {
                logger.error("cannot update a queued run", metadata: ["guid": "\(record.guid)", "error": "\(error)"])
            }
            let position: Int?
            do {
                position = try await store.queuePosition(guid: record.guid)
            } catch {
                // The event goes out without a position; the next relabel or pump carries it.
                logger.error("cannot read a queued run's position", metadata: ["guid": "\(record.guid)", "error": "\(error)"])
                position = nil
            }
            await hub.publish(ServerEvent(type: .status, guid: record.guid, state: .queued, percentage: 0,
                                          status: GSSAError(.inProgress, message), position: position), owner: record.owner)
        }
    }

    /// Runs one dequeued simulation to its end: host meshing when the family needs it, launch,
    /// status relay, collection and the final status.
    func execute(guid: String, owner: String, sequence: Int64?) async {
        let record: SimulationRecord
        do {
            guard let found = try await store.record(guid: guid) else {
                starting.remove(guid)
                return
            }
            record = found
        } catch {
            logger.error("cannot read run to start it", metadata: ["guid": "\(guid)", "error": "\(error)"])
            await requeue(guid: guid, sequence: sequence, message: "Queued (the store could not be read: retrying)")
            return
        }
        let directory = URL(fileURLWithPath: record.directory)
        await hub.publish(ServerEvent(type: .status, guid: guid, state: .starting, percentage: 0,
                                      status: GSSAError(.inProgress, "Starting simulation...")), owner: owner)
        do {
            let (_, configuration) = try loadConfiguration(directory: directory)
            if configuration.workflow == .dockerCGAL && !configuration.hasUploadedMesh {
                let clock = ContinuousClock.now
                do {
                    try await mesher.mesh(runDirectory: directory) { percentage, message in
                        await self.status(guid: guid, owner: owner, percentage: percentage, message: message, state: .starting)
                    }
                } catch var error as GSSAError {
                    error.reason = Self.uploadedNames(in: error.reason, required: configuration.required)
                    throw error
                }
                metrics.record(metrics.meshing, ContinuousClock.now - clock)
                let warnings = await MeshReportWarnings.read(runDirectory: directory)
                if !warnings.isEmpty { await warn(guid: guid, owner: owner, warnings) }
            }
            try Task.checkCancellation()
            let specification = LaunchSpecification(
                guid: guid, image: configuration.image, input: directory.appendingPathComponent("input"),
                output: directory.appendingPathComponent("output"), interpreter: configuration.interpreter,
                walltime: record.walltime ?? self.configuration.walltime, author: owner,
                limits: ContainerLimits(memory: record.memory, cpus: record.cores))
            metrics.runsStarted.increment()
            switch try await supervise(guid: guid, owner: owner, contact: .start(specification),
                                       lost: "lost: the launch daemon no longer knows this run") {
            case .result(let result):
                await collect(guid: guid, result: result, directory: directory)
            case .requeue(let message):
                await requeue(guid: guid, sequence: sequence, message: message)
                return
            }
        } catch is LauncherAtCapacity {
            // Someone else took the slot: back to the queue, same place, and retry shortly.
            await requeue(guid: guid, sequence: sequence, message: "Queued (waiting for a container slot)")
            return
        } catch {
            guard await supervisionFailed(guid: guid, error) else { return }
        }
        starting.remove(guid)
        await pump()
    }

    /// Keeps `warnings` in the run's record (its summary shows them) and sends each as a status
    /// event starting with `Warning:`.
    func warn(guid: String, owner: String, _ warnings: [String]) async {
        do {
            try await store.update(guid: guid) { $0.warnings = warnings }
        } catch {
            logger.error("cannot store a run's warnings", metadata: ["guid": "\(guid)", "error": "\(error)"])
        }
        for warning in warnings {
            await status(guid: guid, owner: owner, percentage: nil, message: "Warning: mesh quality: \(warning)", state: .starting)
        }
    }

    /// The end of a supervision that threw: settled by `cancel` already (which also stops the
    /// container), left for the next start (shutting down: false, nothing more to do), or
    /// failed with the error.
    private func supervisionFailed(guid: String, _ error: any Error) async -> Bool {
        if cancelled.contains(guid) { return true }
        if shuttingDown { return false }
        await finish(guid: guid, outcome: GSSAError.wrapping(error))
        return true
    }

    /// Puts a run that did not reach a container back at its place in the queue.
    func requeue(guid: String, sequence: Int64?, message: String) async {
        starting.remove(guid)
        guard !cancelled.contains(guid), !shuttingDown else { return }
        do {
            try await store.update(guid: guid) {
                guard !$0.state.isTerminal else { return }
                $0.state = .queued
                $0.queueSequence = sequence ?? $0.queueSequence
                $0.containerID = nil
                $0.message = message
                $0.updatedAt = Date()
            }
        } catch {
            logger.error("cannot put a run back in the queue", metadata: ["guid": "\(guid)", "error": "\(error)"])
        }
        // Not at once: the daemon just said it is full or away; the next try comes later.
        schedulePump()
    }

    /// How the server is in touch with a run in the launcher.
    enum Contact {
        /// Not sent yet.
        case start(LaunchSpecification)
        /// START was sent (`confirmed`: and answered): follow it by GUID.
        case attach(confirmed: Bool)
    }

    enum SupervisionEnd {
        case result(RunResult)
        /// The run never reached the launcher: back to the queue with this message.
        case requeue(String)
    }

    /// Follows a run to its result through daemon faults: a daemon that does not answer is
    /// waited for, a dropped connection is re-attached by GUID, both with bounded exponential
    /// back-off. Only the daemon's own word that it does not know the run ends it (`lost`).
    func supervise(guid: String, owner: String, contact initial: Contact, lost: String) async throws -> SupervisionEnd {
        var contact = initial
        var backoff = Backoff(initial: configuration.queuePollInterval)
        let launchClock = ContinuousClock.now
        var attempt = 0
        while true {
            try Task.checkCancellation()
            if cancelled.contains(guid) { throw CancellationError() }
            let reason: String
            do {
                switch contact {
                case .start(let specification):
                    // A cancel now waits for the START's answer (see `cancel`), so that its DESTROY
                    // never overtakes the START.
                    startInFlight.insert(guid)
                    defer { startInFlight.remove(guid) }
                    return .result(try await launcher.run(specification, observer: observer(guid: guid, owner: owner, since: launchClock)))
                case .attach(let confirmed):
                    do {
                        let result = try await launcher.attach(guid: guid, observer: observer(guid: guid, owner: owner, since: nil))
                        return .result(result)
                    } catch let refusal as GSSAError where refusal.code == .client {
                        // The daemon answered: it does not know the run.
                        if !confirmed {
                            logger.info("run never reached the daemon; back to the queue", metadata: ["guid": "\(guid)"])
                            return .requeue("Queued (re-queued: the launch daemon never started it)")
                        }
                        logger.warning("the daemon does not know the run", metadata: ["guid": "\(guid)", "reply": "\(refusal.message)"])
                        throw GSSAError.server(lost)
                    }
                }
            } catch let unavailable as LauncherUnavailable {
                if cancelled.contains(guid) { throw CancellationError() }
                if case .start = contact {
                    await daemonUnavailable(unavailable.reason)
                    return .requeue(Self.waitingMessage(unavailable.reason))
                }
                reason = unavailable.reason
            } catch let disconnected as LauncherDisconnected {
                if cancelled.contains(guid) || Task.isCancelled { throw CancellationError() }
                if case .start = contact { contact = .attach(confirmed: disconnected.started) }
                reason = disconnected.reason
            }
            attempt += 1
            let delay = backoff.next()
            logger.warning("lost touch with the launch daemon; re-attaching",
                           metadata: ["guid": "\(guid)", "attempt": "\(attempt)", "reason": "\(reason)"])
            if case .attach(let confirmed) = contact {
                await status(guid: guid, owner: owner, percentage: nil,
                             message: "Waiting for the launch daemon (attempt \(attempt)): \(reason)",
                             state: confirmed ? .running : .starting)
            }
            try await Task.sleep(for: delay)
        }
    }

    func observer(guid: String, owner: String, since clock: ContinuousClock.Instant?) -> LaunchObserver {
        LaunchObserver(
            started: { containerID, imageID in
                await self.containerStarted(guid: guid, owner: owner, containerID: containerID, imageID: imageID, since: clock)
            },
            status: { percentage, message in
                await self.status(guid: guid, owner: owner, percentage: percentage, message: message)
            })
    }

    func containerStarted(guid: String, owner: String, containerID: String?, imageID: String?, since clock: ContinuousClock.Instant?) async {
        starting.remove(guid)
        startInFlight.remove(guid)
        guard !cancelled.contains(guid) else {
            // Cancelled while its START was in flight: stop following it now that it is answered.
            tasks[guid]?.cancel()
            return
        }
        if let clock { metrics.record(metrics.launchLatency, ContinuousClock.now - clock) }
        do {
            try await store.update(guid: guid) {
                guard !$0.state.isTerminal else { return }
                // Re-attached after a restart while suspended: it stays suspended.
                if $0.state != .suspended { $0.state = .running }
                $0.containerID = containerID ?? $0.containerID
                $0.imageID = imageID ?? $0.imageID
                $0.message = "Running"
                $0.exitCode = ErrorCode.inProgress.name
                $0.updatedAt = Date()
            }
        } catch {
            logger.error("cannot record that a run started", metadata: ["guid": "\(guid)", "error": "\(error)"])
        }
        await hub.publish(ServerEvent(type: .status, guid: guid, state: .running, status: GSSAError(.inProgress, "Running")),
                          owner: owner)
    }

    /// Runs the pump again after `delay` (the poll interval by default); one pending at a time.
    func schedulePump(after delay: Duration? = nil) {
        guard !shuttingDown, tasks["pump"] == nil else { return }
        let delay = delay ?? configuration.queuePollInterval
        spawn("pump") {
            do {
                try await Task.sleep(for: delay)
            } catch {
                return
            }
            await self.pumpSoon()
        }
    }

    private func pumpSoon() async {
        tasks.removeValue(forKey: "pump")
        await pump()
    }

    /// Turns the daemon's result and the runner's `exit_status` into the run's outcome.
    func collect(guid: String, result: RunResult, directory: URL) async {
        let output = directory.appendingPathComponent("output")
        if let imageID = result.imageID {
            do {
                try Data((imageID + "\n").utf8).write(to: directory.appendingPathComponent("simimage.txt"))
            } catch {
                logger.error("cannot write simimage.txt", metadata: ["guid": "\(guid)", "error": "\(error)"])
            }
        }
        let hasExitStatus = FileManager.default.fileExists(atPath: output.appendingPathComponent("logs/exit_status").path)
        // One classification for every client of the daemon (LaunchClient's RunResult.outcome),
        // then what only the server can tell: nobody here asked for a stop.
        var outcome = result.outcome(output: output, cancelled: cancelled.contains(guid))
        if outcome.code == .cancelled, !result.cancelled, !cancelled.contains(guid) {
            // The runner reports a SIGTERM as E_CANCELLED; neither the user nor the daemon sent it.
            outcome = .server("the container was stopped from outside gssa (e.g. a Docker engine restart): \(outcome.message)")
        } else if outcome.code == .unknown, !hasExitStatus, let code = result.exitCode, code > 128, code <= 128 + 64 {
            // The runner always writes exit_status; without one, something outside killed it.
            outcome = .server("the container was killed from outside (signal \(code - 128)), e.g. by a Docker engine restart; it left no exit status")
        }
        await finish(guid: guid, outcome: outcome, imageID: result.imageID, node: result.node)
    }

    // MARK: cancel

    /// `cancel`, at any stage: queued, meshing, staging, starting, running or collecting.
    ///
    /// Cancel always wins, at once: the run is settled `E_CANCELLED` before this returns; its
    /// supervision is cancelled (which kills a host mesher); then a clean-up task destroys the
    /// container, once the daemon has answered the START, retrying until the daemon confirms.
    @discardableResult
    public func cancel(guid: String, user: UserRecord) async throws -> SimulationRecord {
        let record = try await resolve(guid, user: user)
        guard !record.state.isTerminal else {
            throw APIFailure.conflict("simulation \(record.guid) has already finished (\(record.state.rawValue))")
        }
        if record.isSweepParent { return try await cancelSweep(record) }
        let launched = record.state == .starting || record.state == .running || tasks[record.guid] != nil
        cancelled.insert(record.guid)
        // Meshing, waiting or following: stop now. A START in flight is let through to its answer
        // (cancelling would drop the connection under it); `containerStarted` stops it then.
        if !startInFlight.contains(record.guid) { tasks[record.guid]?.cancel() }
        await finish(guid: record.guid, outcome: .cancelled("Cancelled at user request"))
        if launched {
            let guid = record.guid
            spawn("destroy:" + guid) { await self.destroyCancelled(guid: guid) }
        } else {
            cancelled.remove(record.guid)
        }
        await pump()
        return try await store.record(guid: record.guid) ?? record
    }

    /// Makes sure a cancelled run leaves no container: waits for its supervision to stop (a
    /// START in flight is answered first, so the DESTROY cannot overtake it), then DESTROYs
    /// until the daemon says the run is gone or over.
    func destroyCancelled(guid: String) async {
        if let supervision = tasks[guid] { await supervision.wait() }
        var backoff = Backoff(initial: configuration.queuePollInterval)
        var attempt = 0
        while !shuttingDown {
            attempt += 1
            do {
                try await launcher.cancel(guid: guid)
                if try await launcher.state(guid: guid) != .running { break }
                logger.warning("container still running after DESTROY; again", metadata: ["guid": "\(guid)"])
            } catch let refusal as GSSAError where refusal.code == .client {
                break  // The daemon does not know it: it never started, or is gone already.
            } catch is CancellationError {
                break
            } catch {
                logger.warning("cannot destroy a cancelled run's container yet; retrying",
                               metadata: ["guid": "\(guid)", "attempt": "\(attempt)", "error": "\(error)"])
            }
            do {
                try await Task.sleep(for: backoff.next())
            } catch {
                break
            }
        }
        cancelled.remove(guid)
        await pump()
    }

    /// Waits for the task supervising `guid`, and for the clean-up of a cancelled run.
    public func waitForTask(guid: String) async {
        if let task = tasks[guid] { await task.wait() }
        if let task = tasks["destroy:" + guid] { await task.wait() }
    }

    // MARK: restart recovery

    /// Reconciles active runs with the daemon after a start or a crash: each is re-attached by
    /// GUID (waiting for the daemon if it does not answer yet) and collected; a run the daemon
    /// does not know fails with `E_SERVER`, unless it never reached it (then it is re-queued).
    /// Queued runs keep their place. No run stays in progress forever.
    public func recover() async {
        let active: [SimulationRecord]
        do {
            active = try await store.records(in: [.starting, .running, .suspended])
        } catch {
            logger.error("cannot list active runs for recovery", metadata: ["error": "\(error)"])
            active = []
        }
        // Sweep parents have no container: they settle from their children. Waiting runs are
        // checked again against their dependencies (one may have ended while the server was down).
        await recoverArrays()
        for record in active where tasks[record.guid] == nil && !starting.contains(record.guid) && !record.isSweepParent {
            let guid = record.guid
            let owner = record.owner
            let directory = URL(fileURLWithPath: record.directory)
            let confirmed = record.state == .running || record.state == .suspended || record.containerID != nil
            if !confirmed { starting.insert(guid) }
            let sequence = record.queueSequence
            logger.info("re-attaching run after restart", metadata: ["guid": "\(guid)"])
            spawn(guid) { await self.readopt(guid: guid, owner: owner, directory: directory, confirmed: confirmed, sequence: sequence) }
        }
        await pump()
    }

    private func readopt(guid: String, owner: String, directory: URL, confirmed: Bool, sequence: Int64?) async {
        do {
            switch try await supervise(guid: guid, owner: owner, contact: .attach(confirmed: confirmed),
                                       lost: "lost during server restart") {
            case .result(let result):
                await collect(guid: guid, result: result, directory: directory)
            case .requeue(let message):
                await requeue(guid: guid, sequence: sequence, message: message)
                return
            }
        } catch {
            guard await supervisionFailed(guid: guid, error) else { return }
        }
        starting.remove(guid)
        await pump()
    }

    /// Cancels every task the manager owns and waits for them, at most `grace` (runs keep going
    /// in the daemon and are re-attached at the next start); then whatever is left is cancelled
    /// too, and ``run()`` returns once it has ended.
    public func shutdown(grace: Duration = .seconds(5)) async {
        shuttingDown = true
        // Pending status writes are short and must land: they are waited for, not cancelled.
        for (key, task) in tasks where !key.hasPrefix("flush:") { task.cancel() }
        // Each task removes itself when it ends: poll that, bounded by the grace.
        let deadline = ContinuousClock.now + grace
        while !tasks.isEmpty, ContinuousClock.now < deadline {
            do {
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                break
            }
        }
        if !tasks.isEmpty {
            logger.warning("tasks still running after the shutdown grace; cancelling them", metadata: ["tasks": "\(tasks.keys.sorted())"])
            for task in tasks.values { task.cancel() }
        }
        owned.finish()
    }
}

/// Exponential back-off: `initial`, doubling, capped at `maximum`.
struct Backoff: Sendable {
    let initial: Duration
    let maximum: Duration
    private var current: Duration?

    init(initial: Duration, maximum: Duration = .seconds(5)) {
        self.initial = min(max(initial, .milliseconds(50)), maximum)
        self.maximum = maximum
    }

    mutating func next() -> Duration {
        let delay = current.map { min($0 * 2, maximum) } ?? initial
        current = delay
        return delay
    }

    mutating func reset() { current = nil }
}
