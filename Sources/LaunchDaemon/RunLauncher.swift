import ContainerEngine
import Foundation
import GSSAArchive
import GSSACore
import LaunchProtocol
import Logging

/// START, supervision, collection, reconcile and reaping.
extension LaunchDaemon {
    /// In-container paths of the contract with the runner.
    enum Paths {
        static let runner = "/gssa/bin/gssa-container"
        static let statusSocket = "/shared/update.sock"
        static let finalOutput = "/shared/output.final"
        static let output = "/shared/output"
    }

    // MARK: START

    func start(_ arguments: StartArguments, peer: PeerCredentials) async throws -> (RunReply, AsyncStream<LaunchEvent>) {
        let guid = arguments.guid
        guard !guid.isEmpty, guid.count <= 128,
            guid.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") })
        else {
            throw GSSAError.client("START: guid must be 1-128 characters of A-Z a-z 0-9 . _ -", attribute: "guid")
        }
        guard self.configuration.allowedImages.contains(arguments.image) else {
            throw GSSAError.client("This image is not a whitelisted image for dockerlaunch: \(arguments.image)", attribute: "image")
        }
        // Every number first: nothing below may trap or hand Docker a value it misreads.
        let limits = try ArgumentBounds.limits(
            arguments.limits, defaults: self.configuration.defaultLimits, maxima: self.configuration.maxLimits)
        let walltime = try ArgumentBounds.seconds(
            arguments.walltime ?? self.configuration.walltime, field: "walltime", command: "START",
            upper: self.configuration.maxWalltime, allowZero: false)
        let maxOutput = try self.outputQuota(arguments.maxOutputBytes)
        for (field, value) in [("archive", arguments.archive), ("target", arguments.target), ("interpreter", arguments.interpreter)] {
            try ArgumentBounds.argument(value, field: field)
        }
        // The caller's paths, with the caller's rights: its input must be readable by it, its
        // output created for it or already its own.
        let root = try self.dataRoot()
        let inputPath = arguments.input
        _ = try CallerFiles.absolute(inputPath, field: "input")
        let outputPath = arguments.output
        let prepared = try await CallerThread.run(as: peer) {
            try CallerFiles.prepareOutput(outputPath, root: root, owner: peer.uid)
        }
        var run = RunRegistry.Run(guid: guid, owner: peer.uid, output: prepared.path, state: .starting)
        run.ownerGID = peer.gid
        run.ownerGroups = peer.groups
        run.walltime = walltime
        run.memoryLimit = limits.memory
        run.maxOutputBytes = maxOutput
        do {
            try await self.registry.reserve(run)
        } catch {
            if prepared.created { _ = try? await CallerThread.run(as: peer) { CallerFiles.removeIfEmpty(prepared.path) } }
            throw error
        }
        var containerID: String?
        do {
            guard let image = try await self.engine.inspectImage(arguments.image) else {
                throw GSSAError.server("Image \(arguments.image) is not present on this host")
            }
            let user = await self.users.user(
                for: image, reference: arguments.image, engine: self.engine,
                labels: [
                    Label.daemon: self.configuration.daemonID, Label.probe: "1", Label.author: self.configuration.author,
                    Label.org: self.configuration.org, Label.project: Label.defaultProject,
                ]
            ) { probe in
                await self.removeContainer(probe, of: nil, reason: "image user probe")
            }
            let bounds = CallerFiles.InputBounds(
                maxBytes: self.configuration.maxInputBytes, maxEntries: self.configuration.maxInputEntries)
            let entries = try await CallerThread.run(as: peer) {
                try CallerFiles.inputEntries(inputPath, root: root, caller: peer.uid, uid: user.uid, gid: user.gid, bounds: bounds)
            }
            let inputTar = try TarBuilder.build(entries)
            if await self.registry.isCancelled(guid) { return try await self.cancelledBeforeStart(guid, containerID: nil, imageID: image.id) }
            let deadline = Date().addingTimeInterval(walltime)
            var command = [Paths.runner, "run"]
            if let archive = arguments.archive { command += ["--archive", archive] }
            if let target = arguments.target { command += ["--target", target] }
            if let interpreter = arguments.interpreter { command += ["--interpreter", interpreter] }
            var labels = [
                Label.guid: guid, Label.daemon: self.configuration.daemonID, Label.owner: String(peer.uid),
                Label.ownerGID: String(peer.gid),
                Label.author: Self.labelValue(arguments.author) ?? self.configuration.author,
                Label.org: self.configuration.org,
                Label.project: Self.labelValue(arguments.project) ?? Label.defaultProject,
                Label.output: prepared.path, Label.deadline: String(Int64(deadline.timeIntervalSince1970.rounded(.up))),
                Label.walltime: ArgumentBounds.format(walltime), Label.maxOutput: String(maxOutput),
            ]
            if let memory = limits.memory { labels[Label.memory] = String(memory) }
            let formDirectory = self.formCacheDirectory(for: image)
            if let formDirectory { labels[Self.formCacheLabel] = formDirectory }
            let spec = ContainerSpec(
                image: arguments.image, command: command,
                environment: ["GSSA_STATUS_SOCKET": Paths.statusSocket],
                labels: labels,
                user: user.name, memoryBytes: limits.memory, nanoCPUs: limits.cpus.map { Int64(($0 * 1e9).rounded()) },
                pidsLimit: limits.pids, initProcess: true)
            let id = try await self.engine.createContainer(spec, name: nil)
            containerID = id
            if await self.registry.markCreated(guid, containerID: id) {
                return try await self.cancelledBeforeStart(guid, containerID: id, imageID: image.id)
            }
            // The runner (unless the image carries it already), the input, the caller's compiled forms.
            try await self.putRunnerIfNeeded(id, image: image)
            try await self.engine.putArchive(id, path: "/", tar: inputTar)
            await self.stageFormCache(into: id, owner: peer.uid, imageID: image.id, directory: formDirectory)
            if await self.registry.isCancelled(guid) {
                return try await self.cancelledBeforeStart(guid, containerID: id, imageID: image.id)
            }
            // Subscribe before starting, so not one event is missed.
            let events = await self.registry.subscribe(guid, logs: arguments.logs ?? false)
            try await self.engine.startContainer(id)
            let cancelled = await self.registry.markRunning(guid, containerID: id, imageID: image.id)
            self.logger.info("started run \(guid) for \(peer) in \(id.prefix(12)) (\(arguments.image))")
            self.supervise(guid: guid, containerID: id, deadline: deadline)
            // A DESTROY that came while the container was being started found nothing to kill yet.
            if cancelled { await self.stop(containerID: id, reason: "run \(guid), cancelled while starting") }
            let reply = RunReply(guid: guid, containerID: id, imageID: image.id, state: .running, result: nil)
            return (reply, events)
        } catch {
            if let containerID { await self.removeContainer(containerID, of: guid, reason: "START of run \(guid) failed") }
            if await self.registry.isCancelled(guid), (error as? GSSAError)?.code != .client {
                // DESTROY won the race with a failing START: the run ends cancelled, not failed.
                await self.registry.finish(guid, result: RunResult(exitCode: nil, cancelled: true))
            } else {
                await self.registry.release(guid)
            }
            if prepared.created { _ = try? await CallerThread.run(as: peer) { CallerFiles.removeIfEmpty(prepared.path) } }
            throw error
        }
    }

    /// Ends a run that a DESTROY cancelled before its container started: the container (if
    /// any) is removed, the run finishes cancelled, and START answers with that result.
    private func cancelledBeforeStart(_ guid: String, containerID: String?, imageID: String) async throws
        -> (RunReply, AsyncStream<LaunchEvent>)
    {
        if let containerID {
            await self.removeContainer(containerID, of: guid, reason: "run \(guid) cancelled before it started")
        }
        let result = RunResult(exitCode: nil, cancelled: true, imageID: imageID)
        await self.registry.finish(guid, result: result)
        self.logger.info("run \(guid) cancelled before its container started")
        let events = await self.registry.subscribe(guid, logs: false)
        return (RunReply(guid: guid, containerID: containerID, imageID: imageID, state: .finished, result: result), events)
    }

    /// The data root as the kernel names it (symlinks resolved).
    func dataRoot() throws -> String {
        guard let resolved = realpath(self.configuration.dataRoot, nil) else {
            throw GSSAError.server("data_root \(self.configuration.dataRoot) cannot be resolved: \(String(cString: strerror(errno)))")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// This run's output quota: the daemon's `max_output_bytes`, or a lower one the START asked for.
    func outputQuota(_ requested: Int64?) throws -> Int64 {
        let cap = self.configuration.maxOutputBytes
        guard let requested else { return cap }
        guard requested >= 1, requested <= cap else {
            throw GSSAError.client(
                "START: max_output_bytes \(requested) is out of range [1, \(cap)] (max_output_bytes in dockerlaunch.yml)",
                attribute: "max_output_bytes")
        }
        return requested
    }

    // MARK: Supervision

    /// Follows a running container to its end, enforcing the walltime, then collects it.
    func supervise(guid: String, containerID: String, deadline: Date) {
        self.supervisors.submit { [self] in
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    do { try await self.walltimeClock(guid: guid, deadline: deadline) } catch { return }
                    self.logger.info("run \(guid) reached its walltime; killing \(containerID.prefix(12))")
                    await self.registry.markTimedOut(guid, after: await self.registry.run(guid)?.walltime)
                    await self.stop(containerID: containerID, reason: "run \(guid) at its walltime")
                }
                await self.follow(guid: guid, containerID: containerID)
                guard !Task.isCancelled else {
                    group.cancelAll()
                    return
                }
                do {
                    _ = try await self.engine.waitContainer(containerID)
                } catch {
                    if !Task.isCancelled { self.logger.warning("waiting for the container of run \(guid): \(error)") }
                }
                // The walltime timer ends with the container, whichever came first.
                group.cancelAll()
            }
            guard !Task.isCancelled else { return }
            await self.registry.markExited(guid)
            if await self.registry.claimCollection(guid) {
                await self.collect(guid: guid, containerID: containerID)
            }
        }
    }

    /// Returns when the run's walltime is used up. The clock stops while the run is paused: a
    /// RESUME moves the run's deadline on by the pause, and the timer sleeps again.
    func walltimeClock(guid: String, deadline initial: Date) async throws {
        await self.registry.setDeadline(guid, initial)
        while true {
            guard let run = await self.registry.run(guid) else { return }
            if run.pausedAt != nil {
                try await Task.sleep(for: .milliseconds(250))
                continue
            }
            // Labels of adopted runs are read back from the engine: bound before sleeping.
            let remaining = min((run.deadline ?? initial).timeIntervalSinceNow, ArgumentBounds.maxSeconds)
            guard remaining > 0 else { return }
            try await Task.sleep(for: .seconds(remaining))
        }
    }

    /// Relays the runner's stdout: status lines become status events, the rest log events.
    private func follow(guid: String, containerID: String) async {
        var splitters: [LogChunk.Stream: LineSplitter] = [.stdout: LineSplitter(), .stderr: LineSplitter()]
        func emit(_ line: String, _ stream: LogChunk.Stream) async {
            if stream == .stdout, let status = StatusLine(rendered: line[...]) {
                await self.registry.publish(.status(guid: guid, percentage: status.percentageValue, message: status.message))
            } else {
                await self.registry.publish(.log(guid: guid, stream: stream == .stderr ? .stderr : .stdout, line: line))
            }
        }
        do {
            try await self.engine.logs(containerID, follow: true) { chunk in
                for line in splitters[chunk.stream, default: LineSplitter()].feed(chunk.bytes) {
                    await emit(line, chunk.stream)
                }
            }
        } catch {
            if !Task.isCancelled { self.logger.warning("log stream of run \(guid) broke: \(error)") }
        }
        for stream in [LogChunk.Stream.stdout, .stderr] {
            if let tail = splitters[stream]?.finish() { await emit(tail, stream) }
        }
    }

    /// Collection of an exited run found at startup or left uncollected, off the caller's path.
    func collectLater(_ guid: String) {
        self.supervisors.submit { [self] in
            guard await self.registry.claimCollection(guid),
                let id = await self.registry.run(guid)?.containerID
            else { return }
            await self.collect(guid: guid, containerID: id)
        }
    }

    /// The container's final inspection. Docker handles a cgroup's OOM event apart from the
    /// exit, and the exit can be seen first: a SIGKILLed run under a memory limit whose
    /// `OOMKilled` flag is still false is inspected again, a bounded number of times (at most
    /// about a second), so that an OOM kill is not reported as a plain "Killed".
    func settledInspection(_ containerID: String, run: RunRegistry.Run) async throws -> ContainerInspection? {
        var inspection = try await self.engine.inspectContainer(containerID)
        var attempts = 0
        while let seen = inspection, !seen.oomKilled, seen.exitCode == 137, run.memoryLimit != nil,
            !run.cancelled, !run.timedOut, attempts < 10
        {
            attempts += 1
            try await Task.sleep(for: .milliseconds(100))
            inspection = try await self.engine.inspectContainer(containerID)
        }
        return inspection
    }

    /// Streams the output out, removes the container and publishes the result.
    func collect(guid: String, containerID: String) async {
        guard let run = await self.registry.run(guid) else { return }
        var result = RunResult(
            exitCode: nil, timedOut: run.timedOut, cancelled: run.cancelled, imageID: run.imageID,
            timedOutAfter: run.timedOutAfter, memoryLimit: run.memoryLimit)
        do {
            let inspection = try await self.settledInspection(containerID, run: run)
            if let inspection {
                result.exitCode = inspection.exitCode
                result.imageID = inspection.imageID
                result.oomKilled = RunOutcome.isOOM(flag: inspection.oomKilled, exitCode: inspection.exitCode)
                result.node = inspection.node
                // The executor lost the run (a swarm node went down): nothing to collect.
                if let failure = inspection.failure, !run.cancelled, !run.timedOut {
                    result.error = failure
                    result.errorCode = ErrorCode.server.name
                }
            } else {
                result.error = "container \(containerID.prefix(12)) vanished before collection"
            }
            if result.error == nil {
                // dockerd can miss the OOM flag; the runner's own verdict (its cgroup's oom_kill
                // count) then decides, and the daemon words it with the limit.
                let runnerOOM = run.memoryLimit == nil || result.oomKilled || run.cancelled || run.timedOut
                    ? nil : ExitStatus(.model, RunResult.outOfMemoryMessage(limit: run.memoryLimit)).fileContents
                let collected = try await self.copyOutput(
                    containerID, run: run, exitStatus: result.limitExitStatus, outOfMemory: runnerOOM)
                result.outputCollected = collected != nil
                if collected?.runnerSawOOM == true { result.oomKilled = true }
                if !result.outputCollected { result.error = "the container left no /shared/output" }
            }
            if let inspection { await self.keepFormCache(from: containerID, run: run, inspection: inspection) }
        } catch let error as GSSAError where error.code == .model {
            // Over the output quota: the model's doing, and nothing of it is kept.
            result.error = error.message
            result.errorCode = error.code.name
            self.logger.warning("run \(guid): \(error.message)")
        } catch {
            result.error = GSSAError.wrapping(error).message
            self.logger.error("collecting run \(guid): \(result.error ?? "")")
        }
        if !result.outputCollected, let status = result.limitExitStatus {
            // The verdict still reaches exit_status when there was no output to carry it.
            do {
                let root = try self.dataRoot()
                try await CallerThread.run(as: run.caller) {
                    try CallerFiles.writeExitStatus(status, output: run.output, root: root, owner: run.owner)
                }
            } catch {
                self.logger.error("writing exit_status of run \(guid): \(error)")
            }
        }
        await self.removeContainer(containerID, of: guid, reason: "run \(guid) collected")
        self.logger.info(
            "run \(guid) finished: exit \(result.exitCode.map(String.init) ?? "none"), oom \(result.oomKilled), timed out \(result.timedOut)")
        await self.registry.finish(guid, result: result)
    }

    /// Streams `/shared/output.final` (else `/shared/output`) straight into the run's output
    /// directory, as the run's owner, within its output quota. False when neither exists.
    /// Streams the container's published output (or, failing that, its unpublished one) into the
    /// caller's output directory; nil when the container has neither.
    private func copyOutput(
        _ containerID: String, run: RunRegistry.Run, exitStatus: String?, outOfMemory: String?
    ) async throws -> CollectedOutput? {
        let root = try self.dataRoot()
        let quota = run.maxOutputBytes ?? self.configuration.maxOutputBytes
        let configured = quota == self.configuration.maxOutputBytes ? "max_output_bytes in dockerlaunch.yml" : "max_output_bytes of this START"
        let limits = TarStreamExtractor.Limits(
            maxBytes: quota, maxEntries: self.configuration.maxOutputEntries,
            bytesExceeded: GSSAError.model("output exceeds \(ByteSize.describe(quota)) (\(configured))"),
            entriesExceeded: GSSAError.model(
                "output holds more than \(self.configuration.maxOutputEntries) files (max_output_entries in dockerlaunch.yml)"))
        // Tells the extraction that the path does not exist in the container.
        let missing = GSSAError.server("no archive at this path (\(UUID().uuidString))")
        for path in [Paths.finalOutput, Paths.output] {
            let source = TarByteSource(capacity: 4 << 20)
            let output = run.output
            let owner = run.owner
            let refusal = "refusing tar of run \(run.guid)"
            async let extraction = CallerThread.run(as: run.caller) {
                try CallerFiles.collect(
                    from: source, into: output, root: root, owner: owner, limits: limits, refusal: refusal,
                    exitStatus: exitStatus, outOfMemory: outOfMemory)
            }
            let found: Bool
            do {
                found = try await self.engine.streamArchive(containerID, path: path) { try await source.write($0) }
                if found { source.finish() } else { source.fail(missing) }
            } catch {
                source.fail(error)
                // The extraction's own error (a refusal, the quota) explains more than the broken download.
                _ = try await extraction
                throw error
            }
            do {
                return try await extraction
            } catch let error as GSSAError where error == missing {
                continue
            }
        }
        return nil
    }

    // MARK: Reconcile and reap

    /// Brings the registry in line with the engine after a (re)start: adopts this daemon's
    /// running containers, keeps exited uncollected ones until the TTL, removes the rest.
    /// Containers of other daemons are never touched.
    public func reconcile() async throws {
        let mine = try await self.engine.listContainers(labels: [Label.daemon: self.configuration.daemonID], all: true)
        for summary in mine {
            guard let inspection = try await self.engine.inspectContainer(summary.id) else { continue }
            let labels = inspection.labels
            guard labels[Label.probe] == nil, let guid = labels[Label.guid], let ownerText = labels[Label.owner],
                let owner = UInt32(ownerText), let output = labels[Label.output]
            else {
                self.logger.info("pruning unlabelled container \(summary.id.prefix(12))")
                await self.removeContainer(summary.id, of: nil, reason: "unlabelled, at reconcile")
                continue
            }
            var run = RunRegistry.Run(
                guid: guid, owner: owner, output: output, state: .running, containerID: summary.id,
                imageID: inspection.imageID)
            run.ownerGID = labels[Label.ownerGID].flatMap(UInt32.init) ?? owner
            run.walltime = labels[Label.walltime].flatMap(Double.init).flatMap { $0.isFinite ? $0 : nil }
            run.memoryLimit = labels[Label.memory].flatMap(Int64.init)
            run.maxOutputBytes = labels[Label.maxOutput].flatMap(Int64.init).map { min($0, self.configuration.maxOutputBytes) }
            switch inspection.status {
            case .running, .paused, .restarting:
                if inspection.status == .paused {
                    do { try await self.engine.unpauseContainer(summary.id) } catch {
                        self.logger.error("unpausing adopted run \(guid) (\(summary.id.prefix(12))): \(error)")
                    }
                }
                await self.registry.adopt(run)
                let deadline = labels[Label.deadline].flatMap(Double.init).map(Date.init(timeIntervalSince1970:))
                    ?? Date().addingTimeInterval(self.configuration.walltime)
                self.logger.info("adopting running run \(guid) (\(summary.id.prefix(12)))")
                self.supervise(guid: guid, containerID: summary.id, deadline: deadline)
            case .exited, .dead:
                let ended = inspection.finishedAt ?? Date()
                if Date().timeIntervalSince(ended) < self.configuration.orphanTTL {
                    run.state = .exited
                    run.endedAt = ended
                    self.logger.info("keeping exited, uncollected run \(guid) (\(summary.id.prefix(12)))")
                    await self.registry.adopt(run)
                } else {
                    self.logger.info("pruning expired run \(guid) (\(summary.id.prefix(12)))")
                    await self.removeContainer(summary.id, of: guid, reason: "expired, at reconcile")
                }
            case .created, .removing:
                // A START that never completed.
                self.logger.info("pruning never-started container of run \(guid)")
                await self.removeContainer(summary.id, of: guid, reason: "never started, at reconcile")
            }
        }
    }

    /// Retries the removals that failed, removes exited, uncollected containers and forgets
    /// finished runs past the TTL.
    public func reap(now: Date = Date()) async {
        for (id, guid) in await self.registry.removalsToRetry {
            await self.removeContainer(id, of: guid.isEmpty ? nil : guid, reason: "retrying a failed removal")
        }
        for run in await self.registry.allRuns {
            guard let ended = run.endedAt, now.timeIntervalSince(ended) >= self.configuration.orphanTTL else { continue }
            switch run.state {
            case .exited:
                if let id = run.containerID {
                    self.logger.info("pruning uncollected run \(run.guid) after orphan_ttl")
                    await self.removeContainer(id, of: run.guid, reason: "uncollected after orphan_ttl")
                }
                await self.registry.forget(run.guid)
            case .finished:
                await self.registry.forget(run.guid)
            case .starting, .running:
                continue
            }
        }
    }

    /// Removes a container. A failure (the engine away or restarting) is logged and the
    /// reaper retries it on each pass until the engine confirms, so no container leaks.
    func removeContainer(_ id: String, of guid: String?, reason: String) async {
        do {
            try await self.engine.removeContainer(id, force: true)
            await self.registry.removed(id)
        } catch {
            self.logger.error(
                "removing container \(id.prefix(12))\(guid.map { " of run \($0)" } ?? "") (\(reason)) failed: \(error); the reaper retries")
            await self.registry.removalFailed(id, guid: guid)
        }
    }

    /// A client-supplied label value, kept only if it is short and plain (no control characters).
    static func labelValue(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.count <= 128,
            value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
        else { return nil }
        return value
    }
}
