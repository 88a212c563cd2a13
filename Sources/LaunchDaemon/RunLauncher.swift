import ContainerEngine
import Foundation
import GSSAArchive
import GSSACore
import LaunchProtocol

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
        let input = try self.resolveUnderRoot(arguments.input, field: "input", mustExist: true)
        let output = try self.resolveUnderRoot(arguments.output, field: "output", mustExist: false)
        let limits = try self.limits(arguments.limits)
        let walltime = arguments.walltime ?? self.configuration.walltime
        guard walltime > 0, walltime <= self.configuration.maxWalltime else {
            throw GSSAError.client(
                "START: walltime \(walltime) s is outside (0, \(self.configuration.maxWalltime)]", attribute: "walltime")
        }

        try await self.registry.reserve(guid: guid, owner: peer.uid, output: output.path)
        var containerID: String?
        do {
            guard let image = try await self.engine.inspectImage(arguments.image) else {
                throw GSSAError.server("Image \(arguments.image) is not present on this host")
            }
            let user = await self.users.user(
                for: image, reference: arguments.image, engine: self.engine,
                labels: [Label.daemon: self.configuration.daemonID, Label.probe: "1"])
            let deadline = Date().addingTimeInterval(walltime)
            var command = [Paths.runner, "run"]
            if let archive = arguments.archive { command += ["--archive", archive] }
            if let target = arguments.target { command += ["--target", target] }
            if let interpreter = arguments.interpreter { command += ["--interpreter", interpreter] }
            let spec = ContainerSpec(
                image: arguments.image, command: command,
                environment: ["GSSA_STATUS_SOCKET": Paths.statusSocket],
                labels: [
                    Label.guid: guid, Label.daemon: self.configuration.daemonID, Label.owner: String(peer.uid),
                    Label.author: Self.labelValue(arguments.author) ?? self.configuration.author,
                    Label.org: self.configuration.org,
                    Label.output: output.path, Label.deadline: String(Int(deadline.timeIntervalSince1970.rounded(.up))),
                ],
                user: user.name, memoryBytes: limits.memory, nanoCPUs: limits.cpus.map { Int64($0 * 1e9) },
                pidsLimit: limits.pids, initProcess: true)
            let id = try await self.engine.createContainer(spec, name: nil)
            containerID = id
            // Two PUTs at `/`: the runner (a cached tar; it is the same for every run) and the input.
            try await self.engine.putArchive(id, path: "/", tar: try await self.runnerTar.tar(for: self.configuration.runner))
            try await self.engine.putArchive(id, path: "/", tar: try self.inputArchive(input: input, user: user))
            // Subscribe before starting, so not one event is missed.
            let events = await self.registry.subscribe(guid, logs: arguments.logs ?? false)
            try await self.engine.startContainer(id)
            await self.registry.markRunning(guid, containerID: id, imageID: image.id)
            self.logger.info("started run \(guid) for \(peer) in \(id.prefix(12)) (\(arguments.image))")
            await self.supervise(guid: guid, containerID: id, deadline: deadline)
            let reply = RunReply(guid: guid, containerID: id, imageID: image.id, state: .running, result: nil)
            return (reply, events)
        } catch {
            if let containerID { try? await self.engine.removeContainer(containerID, force: true) }
            await self.registry.release(guid)
            throw error
        }
    }

    /// Resolves a client path (symlinks followed) and insists it lies strictly under data_root.
    func resolveUnderRoot(_ path: String, field: String, mustExist: Bool) throws -> URL {
        guard path.hasPrefix("/") else {
            throw GSSAError.client("START: \(field) '\(path)' must be an absolute path", attribute: field)
        }
        let root = URL(fileURLWithPath: self.configuration.dataRoot).resolvingSymlinksInPath().standardizedFileURL.path
        let url = URL(fileURLWithPath: path).standardizedFileURL
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        let resolved: URL
        if exists {
            guard isDirectory.boolValue else {
                throw GSSAError.client("START: \(field) '\(path)' is not a directory", attribute: field)
            }
            resolved = url.resolvingSymlinksInPath().standardizedFileURL
        } else {
            guard !mustExist else {
                throw GSSAError.client("START: \(field) directory '\(path)' does not exist", attribute: field)
            }
            // A new output directory: its parent must exist and resolve under the root.
            let parent = url.deletingLastPathComponent()
            guard FileManager.default.fileExists(atPath: parent.path) else {
                throw GSSAError.client("START: \(field) parent '\(parent.path)' does not exist", attribute: field)
            }
            resolved = parent.resolvingSymlinksInPath().standardizedFileURL.appendingPathComponent(url.lastPathComponent)
        }
        guard resolved.path.hasPrefix(root + "/"), !resolved.lastPathComponent.hasPrefix("..") else {
            throw GSSAError.client(
                "START: \(field) '\(path)' resolves to '\(resolved.path)', outside the data root \(root)", attribute: field)
        }
        return resolved
    }

    func limits(_ requested: ContainerLimits?) throws -> ContainerLimits {
        let limits = (requested ?? ContainerLimits()).filled(from: self.configuration.defaultLimits)
        let max = self.configuration.maxLimits
        if let m = limits.memory, let cap = max.memory, m > cap {
            throw GSSAError.client("START: memory \(m) bytes exceeds the maximum \(cap)", attribute: "limits.memory")
        }
        if let m = limits.memory, m < 4 << 20 {
            throw GSSAError.client("START: memory below 4 MiB", attribute: "limits.memory")
        }
        if let c = limits.cpus, let cap = max.cpus, c > cap || c <= 0 {
            throw GSSAError.client("START: cpus \(c) outside (0, \(cap)]", attribute: "limits.cpus")
        }
        if let p = limits.pids, let cap = max.pids, p > cap || p < 8 {
            throw GSSAError.client("START: pids \(p) outside [8, \(cap)]", attribute: "limits.pids")
        }
        return limits
    }

    /// `/shared/input/…`, owned by the container user, as a tar to put at `/`.
    func inputArchive(input: URL, user: ImageUserCache.User) throws -> Data {
        var entries = [
            TarEntry(path: "shared", content: .directory, mode: 0o755, uid: user.uid, gid: user.gid)
        ]
        entries += try TarBuilder.entries(ofDirectory: input, prefix: "shared/input", uid: user.uid, gid: user.gid)
        // The tar is built in memory: bound it, so one START cannot exhaust the daemon.
        var total: Int64 = 0
        for entry in entries {
            guard case .file(let url) = entry.content else { continue }
            total += ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.int64Value ?? 0
        }
        guard total <= self.configuration.maxInputBytes else {
            throw GSSAError.client(
                "START: input directory holds \(total) bytes, more than max_input_bytes (\(self.configuration.maxInputBytes))",
                attribute: "input")
        }
        return try TarBuilder.build(entries)
    }

    // MARK: Supervision

    /// Follows a running container to its end, enforcing the walltime, then collects it.
    func supervise(guid: String, containerID: String, deadline: Date) async {
        await self.supervisors.add { [self] in
            let walltime = Task {
                let remaining = deadline.timeIntervalSinceNow
                if remaining > 0 { try? await Task.sleep(for: .seconds(remaining)) }
                guard !Task.isCancelled else { return }
                self.logger.info("run \(guid) reached its walltime; killing \(containerID.prefix(12))")
                await self.registry.markTimedOut(guid)
                await self.stop(containerID: containerID, reason: "run \(guid) at its walltime")
            }
            defer { walltime.cancel() }
            await self.follow(guid: guid, containerID: containerID)
            guard !Task.isCancelled else { return }
            _ = try? await self.engine.waitContainer(containerID)
            guard !Task.isCancelled else { return }
            walltime.cancel()
            await self.registry.markExited(guid)
            if await self.registry.claimCollection(guid) {
                await self.collect(guid: guid, containerID: containerID)
            }
        }
    }

    /// Relays the runner's stdout: status lines become status events, the rest log events.
    private func follow(guid: String, containerID: String) async {
        var splitters: [LogChunk.Stream: LineSplitter] = [.stdout: LineSplitter(), .stderr: LineSplitter()]
        func emit(_ line: String, _ stream: LogChunk.Stream) async {
            if stream == .stdout, let status = StatusLine.parse(line) {
                await self.registry.publish(.status(guid: guid, percentage: status.percentage, message: status.message))
            } else {
                await self.registry.publish(.log(guid: guid, stream: stream == .stderr ? .stderr : .stdout, line: line))
            }
        }
        do {
            for try await chunk in self.engine.logs(containerID, follow: true) {
                for line in splitters[chunk.stream, default: LineSplitter()].feed(chunk.bytes) {
                    await emit(line, chunk.stream)
                }
            }
        } catch {
            if !Task.isCancelled { self.logger.warning("log stream of run \(guid) broke: \(error)") }
        }
        for stream in [LogChunk.Stream.stdout, .stderr] {
            if let tail = splitters[stream]?.flush() { await emit(tail, stream) }
        }
    }

    /// Collection of an exited run found at startup or left uncollected, off the caller's path.
    func collectLater(_ guid: String) {
        Task {
            await self.supervisors.add { [self] in
                guard await self.registry.claimCollection(guid),
                    let id = await self.registry.run(guid)?.containerID
                else { return }
                await self.collect(guid: guid, containerID: id)
            }
        }
    }

    /// Copies the output out, removes the container and publishes the result.
    func collect(guid: String, containerID: String) async {
        guard let run = await self.registry.run(guid) else { return }
        var result = RunResult(exitCode: nil, timedOut: run.timedOut, cancelled: run.cancelled, imageID: run.imageID)
        do {
            if let inspection = try await self.engine.inspectContainer(containerID) {
                result.exitCode = inspection.exitCode
                result.imageID = inspection.imageID
                result.oomKilled = RunOutcome.isOOM(flag: inspection.oomKilled, exitCode: inspection.exitCode)
            } else {
                result.error = "container \(containerID.prefix(12)) vanished before collection"
            }
            if result.error == nil {
                result.outputCollected = try await self.copyOutput(containerID, to: URL(fileURLWithPath: run.output), owner: run.owner)
                if !result.outputCollected { result.error = "the container left no /shared/output" }
            }
        } catch {
            result.error = GSSAError.wrapping(error).message
            self.logger.error("collecting run \(guid): \(result.error ?? "")")
        }
        do {
            try await self.engine.removeContainer(containerID, force: true)
        } catch {
            self.logger.error("removing container of run \(guid): \(error)")
        }
        self.logger.info(
            "run \(guid) finished: exit \(result.exitCode.map(String.init) ?? "none"), oom \(result.oomKilled), timed out \(result.timedOut)")
        await self.registry.finish(guid, result: result)
    }

    private func copyOutput(_ containerID: String, to output: URL, owner: UInt32) async throws -> Bool {
        let temp = URL(fileURLWithPath: self.configuration.dataRoot)
            .appendingPathComponent(".gssa-collect-\(UUID().uuidString).tar")
        defer { try? FileManager.default.removeItem(at: temp) }
        var found = try await self.engine.getArchive(containerID, path: Paths.finalOutput, to: temp)
        if !found { found = try await self.engine.getArchive(containerID, path: Paths.output, to: temp) }
        guard found else { return false }
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        // Re-check: the output directory must still resolve under the root at extraction time.
        let resolved = try self.resolveUnderRoot(output.path, field: "output", mustExist: true)
        let paths = try TarExtractor.extractSafely(temp, into: resolved, stripComponents: 1)
        if geteuid() == 0 {
            // Give the results to the user who asked for them.
            chown(resolved.path, owner, gid_t(bitPattern: -1))
            for path in paths {
                lchown(resolved.appendingPathComponent(path).path, owner, gid_t(bitPattern: -1))
            }
        }
        return true
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
                try? await self.engine.removeContainer(summary.id, force: true)
                continue
            }
            var run = RunRegistry.Run(
                guid: guid, owner: owner, output: output, state: .running, containerID: summary.id,
                imageID: inspection.imageID)
            switch inspection.status {
            case .running, .paused, .restarting:
                if inspection.status == .paused { try? await self.engine.unpauseContainer(summary.id) }
                await self.registry.adopt(run)
                let deadline = labels[Label.deadline].flatMap(Double.init).map(Date.init(timeIntervalSince1970:))
                    ?? Date().addingTimeInterval(self.configuration.walltime)
                self.logger.info("adopting running run \(guid) (\(summary.id.prefix(12)))")
                await self.supervise(guid: guid, containerID: summary.id, deadline: deadline)
            case .exited, .dead:
                let ended = inspection.finishedAt ?? Date()
                if Date().timeIntervalSince(ended) < self.configuration.orphanTTL {
                    run.state = .exited
                    run.endedAt = ended
                    self.logger.info("keeping exited, uncollected run \(guid) (\(summary.id.prefix(12)))")
                    await self.registry.adopt(run)
                } else {
                    self.logger.info("pruning expired run \(guid) (\(summary.id.prefix(12)))")
                    try? await self.engine.removeContainer(summary.id, force: true)
                }
            case .created, .removing:
                // A START that never completed.
                self.logger.info("pruning never-started container of run \(guid)")
                try? await self.engine.removeContainer(summary.id, force: true)
            }
        }
    }

    /// Removes exited, uncollected containers and forgets finished runs past the TTL.
    public func reap(now: Date = Date()) async {
        for run in await self.registry.allRuns {
            guard let ended = run.endedAt, now.timeIntervalSince(ended) >= self.configuration.orphanTTL else { continue }
            switch run.state {
            case .exited:
                if let id = run.containerID {
                    self.logger.info("pruning uncollected run \(run.guid) after orphan_ttl")
                    try? await self.engine.removeContainer(id, force: true)
                }
                await self.registry.forget(run.guid)
            case .finished:
                await self.registry.forget(run.guid)
            case .starting, .running:
                continue
            }
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
