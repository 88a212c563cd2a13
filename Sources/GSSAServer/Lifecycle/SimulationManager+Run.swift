import Families
import Foundation
import GSSA
import LaunchClient
import LaunchProtocol

extension SimulationManager {
    // MARK: start and the queue

    /// `start`: puts the run at the back of the persistent FIFO queue and wakes the pump.
    /// A full daemon never fails a run; the run waits, visibly `queued` with its position.
    @discardableResult
    public func start(guid: String, user: UserRecord) async throws -> SimulationRecord {
        let record = try await resolve(guid, user: user)
        guard record.state == .finalized else {
            throw APIFailure.conflict(
                record.state == .created
                    ? "simulation \(record.name) must be finalized before it starts"
                    : "simulation \(record.name) is \(record.state.rawValue) and cannot start again")
        }
        let sequence = nextSequence()
        let updated = try await store.update(guid: record.guid) {
            $0.state = .queued
            $0.queueSequence = sequence
            $0.message = "Queued"
            $0.exitCode = ErrorCode.inProgress.name
            $0.updatedAt = Date()
        } ?? record
        let position = try await queuePosition(of: record.guid)
        await hub.publish(ServerEvent(type: .status, guid: record.guid, state: .queued, percentage: 0,
                                      status: GSSAError(.inProgress, "Queued"), position: position), owner: record.owner)
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

    /// Starts queued runs while the daemon has free slots, oldest first.
    public func pump() async {
        if pumping {
            pumpAgain = true
            return
        }
        pumping = true
        defer { pumping = false }
        repeat {
            pumpAgain = false
            while true {
                guard !shuttingDown, let next = try? await store.nextQueued() else { break }
                var free = 1
                if let usage = try? await launcher.usage() {
                    free = usage.max - usage.running - starting.count
                    metrics.slotsInUse.record(usage.running + starting.count)
                }
                guard free > 0 else { break }
                starting.insert(next.guid)
                _ = try? await store.update(guid: next.guid) {
                    $0.state = .starting
                    $0.message = "Starting simulation..."
                    $0.percentage = 0
                    $0.updatedAt = Date()
                }
                let owner = next.owner
                let guid = next.guid
                tasks[guid] = Task { await self.execute(guid: guid, owner: owner, sequence: next.queueSequence) }
            }
        } while pumpAgain
    }

    /// Runs one dequeued simulation to its end: host meshing when the family needs it, launch,
    /// status relay, collection and the final status.
    func execute(guid: String, owner: String, sequence: Int64?) async {
        defer { tasks.removeValue(forKey: guid) }
        guard let record = try? await store.record(guid: guid) else { return }
        let directory = URL(fileURLWithPath: record.directory)
        await hub.publish(ServerEvent(type: .status, guid: guid, state: .starting, percentage: 0,
                                      status: GSSAError(.inProgress, "Starting simulation...")), owner: owner)
        do {
            let (_, configuration) = try loadConfiguration(directory: directory)
            if configuration.workflow == .dockerCGAL && !configuration.hasUploadedMesh {
                let clock = ContinuousClock.now
                try await mesher.mesh(runDirectory: directory) { percentage, message in
                    await self.status(guid: guid, owner: owner, percentage: percentage, message: message, state: .starting)
                }
                metrics.record(metrics.meshing, ContinuousClock.now - clock)
            }
            try Task.checkCancellation()
            if cancelling.contains(guid) { throw CancellationError() }
            let specification = LaunchSpecification(
                guid: guid, image: configuration.image, input: directory.appendingPathComponent("input"),
                output: directory.appendingPathComponent("output"), interpreter: configuration.interpreter,
                walltime: self.configuration.walltime, author: owner)
            let launchClock = ContinuousClock.now
            metrics.runsStarted.increment()
            let result = try await launcher.run(specification, observer: observer(guid: guid, owner: owner, since: launchClock))
            await collect(guid: guid, result: result, directory: directory)
        } catch is LauncherAtCapacity {
            // Someone else took the slot: back to the queue, same place, and retry shortly.
            starting.remove(guid)
            _ = try? await store.update(guid: guid) {
                $0.state = .queued
                $0.queueSequence = sequence ?? $0.queueSequence
                $0.message = "Queued (waiting for a container slot)"
                $0.updatedAt = Date()
            }
            // Not at once: the daemon just said it is full; the next try comes after the poll interval.
            schedulePump()
            return
        } catch {
            if shuttingDown { return }
            if cancelling.contains(guid) || error is CancellationError {
                // A START may have reached the daemon just as we were cancelled: make sure.
                try? await launcher.cancel(guid: guid)
                await finish(guid: guid, outcome: .cancelled("Cancelled at user request"))
            } else {
                await finish(guid: guid, outcome: GSSAError.wrapping(error))
            }
        }
        starting.remove(guid)
        await pump()
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
        if let clock { metrics.record(metrics.launchLatency, ContinuousClock.now - clock) }
        _ = try? await store.update(guid: guid) {
            guard !$0.state.isTerminal else { return }
            $0.state = .running
            $0.containerID = containerID ?? $0.containerID
            $0.imageID = imageID ?? $0.imageID
            $0.message = "Running"
            $0.exitCode = ErrorCode.inProgress.name
            $0.updatedAt = Date()
        }
        await hub.publish(ServerEvent(type: .status, guid: guid, state: .running, status: GSSAError(.inProgress, "Running")),
                          owner: owner)
    }

    func schedulePump() {
        let delay = configuration.queuePollInterval
        Task {
            try? await Task.sleep(for: delay)
            await self.pump()
        }
    }

    /// Turns the daemon's result and the runner's `exit_status` into the run's outcome.
    func collect(guid: String, result: RunResult, directory: URL) async {
        let output = directory.appendingPathComponent("output")
        if let imageID = result.imageID {
            try? Data((imageID + "\n").utf8).write(to: directory.appendingPathComponent("simimage.txt"))
        }
        // One classification for every client of the daemon (LaunchClient's RunResult.outcome).
        let outcome = result.outcome(output: output, cancelled: cancelling.contains(guid))
        await finish(guid: guid, outcome: outcome, imageID: result.imageID)
    }

    // MARK: cancel

    /// `cancel`, at any stage: before the queue, in it, while meshing or while running.
    @discardableResult
    public func cancel(guid: String, user: UserRecord) async throws -> SimulationRecord {
        let record = try await resolve(guid, user: user)
        switch record.state {
        case .created, .finalized, .queued:
            await finish(guid: record.guid, outcome: .cancelled("Cancelled at user request"))
            await pump()
        case .starting, .running:
            cancelling.insert(record.guid)
            do {
                try await launcher.cancel(guid: record.guid)
            } catch {
                // Not launched yet (meshing or staging): stop the task itself.
                tasks[record.guid]?.cancel()
            }
            if tasks[record.guid] == nil {
                // Nobody supervises it (e.g. recovery could not attach): settle it here.
                await finish(guid: record.guid, outcome: .cancelled("Cancelled at user request"))
            }
        case .succeeded, .failed, .cancelled:
            throw APIFailure.conflict("simulation \(record.guid) has already finished (\(record.state.rawValue))")
        }
        return try await store.record(guid: record.guid) ?? record
    }

    /// Waits for the task supervising `guid`, if any.
    public func waitForTask(guid: String) async {
        if let task = tasks[guid] { await task.value }
    }

    // MARK: restart recovery

    /// Reconciles active runs with the daemon after a start or a crash: running runs are
    /// re-attached, exited ones collected, vanished ones failed with `E_SERVER`; queued runs
    /// keep their place. No run stays in progress forever.
    public func recover() async {
        let active = (try? await store.records(in: [.starting, .running])) ?? []
        for record in active where tasks[record.guid] == nil && !starting.contains(record.guid) {
            let state: LauncherRunState
            do {
                state = try await launcher.state(guid: record.guid)
            } catch {
                await finish(guid: record.guid, outcome: .server("lost during server restart: the launch daemon did not answer (\(error))"))
                continue
            }
            switch state {
            case .running, .exited:
                let guid = record.guid
                let owner = record.owner
                let directory = URL(fileURLWithPath: record.directory)
                logger.info("re-attaching run after restart", metadata: ["guid": "\(guid)"])
                tasks[guid] = Task {
                    do {
                        let result = try await self.launcher.attach(guid: guid, observer: self.observer(guid: guid, owner: owner, since: nil))
                        await self.collect(guid: guid, result: result, directory: directory)
                    } catch {
                        if self.shuttingDown { return }
                        await self.finish(guid: guid, outcome: .server("lost during server restart: \(GSSAError.wrapping(error).message)"))
                    }
                    await self.taskEnded(guid: guid)
                }
            case .gone:
                if record.state == .starting && record.containerID == nil {
                    // It never reached the daemon: it goes back to its place in the queue.
                    _ = try? await store.update(guid: record.guid) {
                        $0.state = .queued
                        $0.message = "Queued (re-queued after server restart)"
                        $0.updatedAt = Date()
                    }
                } else {
                    await finish(guid: record.guid, outcome: .server("lost during server restart"))
                }
            }
        }
        await pump()
    }

    func taskEnded(guid: String) async {
        tasks.removeValue(forKey: guid)
        await pump()
    }

    /// Cancels supervision tasks (not the runs: they keep going in the daemon and are
    /// re-attached at the next start).
    public func shutdown() {
        shuttingDown = true
        for task in tasks.values { task.cancel() }
    }
}
