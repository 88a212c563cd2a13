import ContainerEngine
import Foundation
import GSSACore
import LaunchProtocol
import Logging
import NIOCore
import Synchronization

/// The launch daemon's behaviour, independent of the socket it is served on.
///
/// ``serve(frames:peer:send:)`` runs one connection: it decodes requests, answers each in
/// order, and streams the events of runs the connection started or attached to. Tests drive
/// it directly with an in-memory engine (ContainerEngineTesting) and injected peer credentials;
/// ``LaunchServer`` drives it from a Unix socket with `SO_PEERCRED`.
public final class LaunchDaemon: Sendable {
    /// Label keys on every container the daemon creates.
    public enum Label {
        public static let guid = "gssa.guid"
        public static let daemon = "gssa.daemon"
        public static let owner = "gssa.owner"
        public static let output = "gssa.output"
        public static let deadline = "gssa.deadline"
        public static let ownerGID = "gssa.owner-gid"
        public static let walltime = "gssa.walltime"
        public static let memory = "gssa.memory"
        public static let maxOutput = "gssa.max-output"
        public static let probe = "gssa.probe"
        public static let author = "author"
        public static let org = "org"
        public static let project = "project"
        /// The project label of runs that name none.
        public static let defaultProject = "default"
    }

    public let configuration: DaemonConfiguration
    public let engine: any ContainerEngine
    public let registry: RunRegistry
    let logger: Logger
    let users = ImageUserCache()
    let runnerTar = RunnerArchiveCache()
    /// Supervisors, collections and SIGKILL timers: children of ``run()``.
    let supervisors = OwnedTasks()

    public init(configuration: DaemonConfiguration, engine: any ContainerEngine, logger: Logger = Logger(label: "gssa.dockerlaunch")) {
        self.configuration = configuration
        self.engine = engine
        self.registry = RunRegistry(maxContainers: configuration.maxContainers)
        self.logger = logger
    }

    /// Runs the daemon's background work (one supervisor per run, collections, SIGKILL
    /// timers) until the calling task is cancelled, then waits for it to stop. ``LaunchServer``
    /// runs it beside its listener; work submitted before it starts waits for it.
    public func run() async {
        await self.supervisors.run()
    }

    /// Stops supervising the runs so far (containers keep running; a restarted daemon adopts
    /// them) and waits until every supervisor has stopped. ``run()`` keeps going.
    public func stopSupervising() async {
        await self.supervisors.cancelAll()
    }

    // MARK: Connection

    /// Serves one connection until its frames end. Never throws: every problem becomes an
    /// error reply and the connection carries on.
    public func serve<Frames: AsyncSequence & Sendable>(
        frames: Frames, peer: PeerCredentials, send: @escaping @Sendable (ByteBuffer) async throws -> Void
    ) async where Frames.Element == JSONLineFrame {
        let session = Session()
        await withDiscardingTaskGroup { group in
            do {
                for try await frame in frames {
                    let outcome: Outcome
                    switch frame {
                    case .oversized(let count):
                        outcome = .reply(Self.failure(
                            "Frame too large: \(count) bytes or more without a newline (max \(self.configuration.maxFrameBytes))"))
                    case .line(let line):
                        outcome = await self.handle(line: line, peer: peer, session: session)
                    }
                    switch outcome {
                    case .reply(let buffer):
                        try await send(buffer)
                    case .replyThenEvents(let buffer, let events):
                        try await send(buffer)
                        group.addTask {
                            for await event in events {
                                guard let frame = try? LaunchWire.frame(event) else { continue }
                                do { try await send(frame) } catch { return }
                            }
                        }
                    }
                }
            } catch {
                self.logger.debug("connection of \(peer) ended: \(error)")
            }
            group.cancelAll()
        }
    }

    enum Outcome {
        case reply(ByteBuffer)
        case replyThenEvents(ByteBuffer, AsyncStream<LaunchEvent>)
    }

    /// The run a connection last started or attached to.
    final class Session: Sendable {
        private let guid = Mutex<String?>(nil)
        var current: String? {
            get { self.guid.withLock { $0 } }
            set { self.guid.withLock { $0 = newValue } }
        }
    }

    static func failure(_ message: String) -> ByteBuffer {
        (try? LaunchWire.frame(LaunchResponse(success: false, message: message)))
            ?? ByteBuffer(string: "{\"success\":false,\"message\":\"internal error\"}\n")
    }

    static func success<T: Codable & Sendable>(_ message: T) -> ByteBuffer {
        (try? LaunchWire.frame(LaunchResponse(success: true, message: message))) ?? failure("cannot encode reply")
    }

    func handle(line: ByteBuffer, peer: PeerCredentials, session: Session) async -> Outcome {
        let head: LaunchRequestHead
        do {
            head = try LaunchWire.decode(LaunchRequestHead.self, from: line)
        } catch {
            return .reply(Self.failure("Invalid request: not a JSON object with a \"command\" string"))
        }
        guard let command = LaunchCommand(rawValue: head.command) else {
            return .reply(Self.failure("Unknown command: \(head.command)"))
        }
        do {
            switch command {
            case .start:
                let arguments = try self.arguments(StartArguments.self, line, command)
                let (reply, events) = try await self.start(arguments, peer: peer)
                session.current = arguments.guid
                return .replyThenEvents(Self.success(reply), events)
            case .attach:
                let arguments = try self.arguments(AttachArguments.self, line, command)
                let run = try await self.owned(arguments.guid, peer)
                session.current = run.guid
                let events = await self.registry.subscribe(run.guid, logs: arguments.logs ?? false)
                if run.state == .exited { self.collectLater(run.guid) }
                return .replyThenEvents(Self.success(Self.reply(for: run)), events)
            case .container:
                let arguments = try self.optionalArguments(RunArguments.self, line, command)
                let run = try await self.owned(try self.target(arguments?.guid, session), peer)
                return .reply(Self.success(Self.reply(for: run)))
            case .logs:
                let arguments = try self.optionalArguments(LogsArguments.self, line, command)
                let run = try await self.owned(try self.target(arguments?.guid, session), peer)
                let logs = await self.registry.logs(run.guid)
                let reply = LogsReply(
                    stdout: arguments?.only == .stderr ? nil : logs[.stdout] ?? "",
                    stderr: arguments?.only == .stdout ? nil : logs[.stderr] ?? "")
                return .reply(Self.success(reply))
            case .wait:
                let arguments = try self.optionalArguments(WaitArguments.self, line, command)
                let timeout = try arguments?.timeout.map {
                    try ArgumentBounds.seconds($0, field: "timeout", command: "WAIT", upper: ArgumentBounds.maxSeconds, allowZero: true)
                }
                let run = try await self.owned(try self.target(arguments?.guid, session), peer)
                if run.state == .exited { self.collectLater(run.guid) }
                if let result = await self.registry.waitForFinish(run.guid, timeout: timeout) {
                    return .reply(Self.success(result))
                }
                // Daemon shutting down: leave the run alone (it is adopted on restart).
                if Task.isCancelled { return .reply(Self.failure("Could not wait: the daemon is shutting down")) }
                // The documented, never implemented, behaviour of the original (§9 item 26).
                let ranFor = await self.registry.run(run.guid)?.startedAt.map { Date().timeIntervalSince($0) }
                await self.registry.markTimedOut(run.guid, after: ranFor ?? timeout)
                try await self.kill(run.guid)
                guard let result = await self.registry.waitForFinish(run.guid, timeout: 60) else {
                    return .reply(Self.failure("Could not wait: run \(run.guid) did not stop after kill"))
                }
                return .reply(Self.success(result))
            case .suspend, .resume:
                let arguments = try self.optionalArguments(RunArguments.self, line, command)
                let run = try await self.owned(try self.target(arguments?.guid, session), peer)
                let updated = try await self.pause(run, command == .suspend)
                return .reply(Self.success(Self.reply(for: updated)))
            case .destroy:
                let arguments = try self.optionalArguments(RunArguments.self, line, command)
                let run = try await self.owned(try self.target(arguments?.guid, session), peer)
                if run.state != .finished {
                    await self.registry.markCancelled(run.guid)
                    if run.state == .exited { self.collectLater(run.guid) } else { try await self.kill(run.guid) }
                }
                guard let result = await self.registry.waitForFinish(run.guid, timeout: 60) else {
                    return .reply(Self.failure("Could not destroy run \(run.guid): it did not stop"))
                }
                return .reply(Self.success(result))
            case .usage:
                let running = await self.registry.activeCount
                var usage = UsageReply(running: running, max: self.configuration.maxContainers)
                if let swarm = self.engine as? SwarmEngine {
                    // The swarm's size is its ready nodes' sum: a lost node shrinks it.
                    do {
                        let capacity = try await swarm.capacity()
                        (usage.cores, usage.memoryBytes, usage.nodes) = (capacity.cores, capacity.memoryBytes, capacity.nodes)
                    } catch {
                        self.logger.warning("USAGE: swarm capacity unknown: \(error)")
                    }
                }
                return .reply(Self.success(usage))
            }
        } catch let error as GSSAError {
            return .reply(Self.failure(error.message))
        } catch {
            return .reply(Self.failure("\(error)"))
        }
    }

    private func arguments<T: Codable & Sendable>(_ type: T.Type, _ line: ByteBuffer, _ command: LaunchCommand) throws -> T {
        guard let arguments = try self.optionalArguments(type, line, command) else {
            throw GSSAError.client("\(command.rawValue) needs arguments")
        }
        return arguments
    }

    private func optionalArguments<T: Codable & Sendable>(_ type: T.Type, _ line: ByteBuffer, _ command: LaunchCommand)
        throws -> T?
    {
        do {
            return try LaunchWire.decode(LaunchRequest<T>.self, from: line).arguments
        } catch let DecodingError.keyNotFound(key, _) {
            throw GSSAError.client("\(command.rawValue): missing argument '\(key.stringValue)'", attribute: key.stringValue)
        } catch let DecodingError.typeMismatch(_, context) {
            let key = context.codingPath.map(\.stringValue).filter { $0 != "arguments" }.joined(separator: ".")
            throw GSSAError.client("\(command.rawValue): argument '\(key)' has the wrong type", attribute: key)
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            // E.g. a number that does not fit the field (1e30 bytes of memory).
            let key = context.codingPath.map(\.stringValue).filter { $0 != "arguments" }.joined(separator: ".")
            throw GSSAError.client(
                "\(command.rawValue): argument '\(key)' is not a valid value: \(context.debugDescription)", attribute: key)
        } catch {
            throw GSSAError.client("\(command.rawValue): invalid arguments: \(error)")
        }
    }

    private func target(_ guid: String?, _ session: Session) throws -> String {
        if let guid { return guid }
        if let current = session.current { return current }
        throw GSSAError.client("No container associated: give a guid, or START or ATTACH first")
    }

    /// The run, if it exists and `peer` created it. Other users' runs are indistinguishable
    /// from missing ones except by the message, which names no owner.
    func owned(_ guid: String, _ peer: PeerCredentials) async throws -> RunRegistry.Run {
        guard let run = await self.registry.run(guid) else { throw GSSAError.client("No such run: \(guid)") }
        guard run.owner == peer.uid else {
            self.logger.warning("\(peer) tried to act on run \(guid) of uid \(run.owner)")
            throw GSSAError.client("Run \(guid) belongs to another user")
        }
        return run
    }

    static func reply(for run: RunRegistry.Run) -> RunReply {
        RunReply(
            guid: run.guid, containerID: run.containerID, imageID: run.imageID, state: run.state, result: run.result,
            paused: run.pausedAt != nil ? true : nil)
    }

    /// SUSPEND (`pause` true) or RESUME: only a running run with a container; pausing a paused
    /// run (or resuming a running one) is refused, so the walltime bookkeeping stays exact.
    func pause(_ run: RunRegistry.Run, _ pause: Bool) async throws -> RunRegistry.Run {
        let command = pause ? "SUSPEND" : "RESUME"
        guard run.state == .running, run.result == nil, let id = run.containerID else {
            throw GSSAError.client("\(command): run \(run.guid) is \(run.state.rawValue), not running")
        }
        if pause {
            guard run.pausedAt == nil else { throw GSSAError.client("SUSPEND: run \(run.guid) is suspended already") }
            try await self.engine.pauseContainer(id)
            await self.registry.paused(run.guid)
            self.logger.info("suspended run \(run.guid) (\(id.prefix(12)))")
        } else {
            guard run.pausedAt != nil else { throw GSSAError.client("RESUME: run \(run.guid) is not suspended") }
            try await self.engine.unpauseContainer(id)
            await self.registry.resumed(run.guid)
            self.logger.info("resumed run \(run.guid) (\(id.prefix(12)))")
        }
        return await self.registry.run(run.guid) ?? run
    }

    /// A paused container does not act on SIGTERM: it is unpaused before it is stopped.
    func unpauseToStop(_ run: RunRegistry.Run) async {
        guard let id = run.containerID else { return }
        do {
            try await self.engine.unpauseContainer(id)
        } catch {
            self.logger.warning("unpausing run \(run.guid) to stop it: \(error)")
        }
        await self.registry.resumed(run.guid)
    }

    func kill(_ guid: String) async throws {
        guard let run = await self.registry.run(guid), let id = run.containerID else { return }
        if run.pausedAt != nil { await self.unpauseToStop(run) }
        await self.stop(containerID: id, reason: "run \(guid)")
    }

    /// SIGTERM (the runner forwards it to the model and still writes `exit_status` and
    /// publishes its output), then SIGKILL if the container outlives `stop_grace`.
    func stop(containerID id: String, reason: String) async {
        do {
            try await self.engine.killContainer(id, signal: "TERM")
        } catch {
            // Gone already is fine; anything else is reported once the run settles.
            self.logger.info("SIGTERM to \(reason) (\(id.prefix(12))): \(error)")
        }
        let grace = self.configuration.stopGrace
        let engine = self.engine
        let logger = self.logger
        self.supervisors.submit {
            do { try await Task.sleep(for: .seconds(grace)) } catch { return }
            do {
                guard try await engine.inspectContainer(id)?.isRunning == true else { return }
                logger.info("\(reason) outlived its \(grace) s grace; SIGKILL")
            } catch {
                // Cannot tell whether it stopped: SIGKILL anyway (a stopped container just refuses it).
                logger.warning("inspecting \(reason) (\(id.prefix(12))) after its grace: \(error); SIGKILL")
            }
            do { try await engine.killContainer(id, signal: "KILL") } catch {
                logger.error("SIGKILL to \(reason) (\(id.prefix(12))): \(error)")
            }
        }
    }
}
