import Foundation
import GSSACore
import LaunchProtocol
import NIOCore
import NIOPosix

/// An async client of the launch daemon, for `gssa container run` and the server.
///
/// Use it inside ``withConnection(socket:_:)``: the connection lives as long as the closure.
/// Replies come back in request order; events of the runs this connection started or
/// attached to arrive on ``events`` in between.
///
/// ```swift
/// try await LaunchClient.withConnection(socket: path) { client in
///     let run = try await client.start(StartArguments(guid: id, image: image, input: input, output: output))
///     for await event in client.events { if case .exit = event { break } }
/// }
/// ```
public final class LaunchClient: Sendable {
    /// Events of subscribed runs; finishes when the connection closes.
    public let events: AsyncStream<LaunchEvent>
    private let eventSink: AsyncStream<LaunchEvent>.Continuation
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let pending = PendingReplies()

    private init(outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.outbound = outbound
        (self.events, self.eventSink) = AsyncStream<LaunchEvent>.makeStream()
    }

    /// Connects to the daemon at `socket` and runs `body` with the connection.
    public static func withConnection<Result: Sendable>(
        socket: String, maxFrameLength: Int = 16 << 20, _ body: (LaunchClient) async throws -> Result
    ) async throws -> Result {
        let channel: NIOAsyncChannel<JSONLineFrame, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(unixDomainSocketPath: socket) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(JSONLineFrameDecoder(maxFrameLength: maxFrameLength)))
                        return try NIOAsyncChannel<JSONLineFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw GSSAError.server("cannot connect to the launch daemon at \(socket): \(error)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            let client = LaunchClient(outbound: outbound)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.read(inbound) }
                defer { group.cancelAll() }
                return try await body(client)
            }
        }
    }

    private func read(_ inbound: NIOAsyncChannelInboundStream<JSONLineFrame>) async {
        do {
            for try await frame in inbound {
                guard case .line(let line) = frame else { continue }
                let head = try? LaunchWire.decode(LaunchFrameHead.self, from: line)
                if head?.event != nil {
                    if let event = try? LaunchWire.decode(LaunchEvent.self, from: line) { self.eventSink.yield(event) }
                } else {
                    await self.pending.resolve(with: line)
                }
            }
        } catch {}
        self.eventSink.finish()
        await self.pending.failAll(GSSAError.server("the launch daemon closed the connection"))
    }

    /// Whether the connection has ended (the daemon closed it or went away). A request that
    /// failed on a closed connection got no answer: what it asked may or may not have happened.
    public var isClosed: Bool {
        get async { await self.pending.isClosed }
    }

    // MARK: Commands

    public func start(_ arguments: StartArguments) async throws -> RunReply {
        try await self.request(.start, arguments, RunReply.self)
    }

    public func attach(guid: String, logs: Bool = false) async throws -> RunReply {
        try await self.request(.attach, AttachArguments(guid: guid, logs: logs), RunReply.self)
    }

    public func container(guid: String? = nil) async throws -> RunReply {
        try await self.request(.container, RunArguments(guid: guid), RunReply.self)
    }

    public func logs(guid: String? = nil, only: LogStream? = nil) async throws -> LogsReply {
        try await self.request(.logs, LogsArguments(guid: guid, only: only), LogsReply.self)
    }

    /// Waits for the run to finish; with a timeout the daemon kills it when the time is up.
    public func wait(guid: String? = nil, timeout: Double? = nil) async throws -> RunResult {
        try await self.request(.wait, WaitArguments(guid: guid, timeout: timeout), RunResult.self)
    }

    public func destroy(guid: String? = nil) async throws -> RunResult {
        try await self.request(.destroy, RunArguments(guid: guid), RunResult.self)
    }

    /// Pauses the run's container; its walltime clock stops until ``resume(guid:)``.
    public func suspend(guid: String? = nil) async throws -> RunReply {
        try await self.request(.suspend, RunArguments(guid: guid), RunReply.self)
    }

    /// Unpauses a run paused by ``suspend(guid:)``.
    public func resume(guid: String? = nil) async throws -> RunReply {
        try await self.request(.resume, RunArguments(guid: guid), RunReply.self)
    }

    public func usage() async throws -> UsageReply {
        try await self.request(.usage, RunArguments?.none, UsageReply.self)
    }

    /// Sends one request and decodes its reply; a failure reply throws a ``GSSA/GSSAError``
    /// carrying the daemon's message.
    public func request<Arguments: Codable & Sendable, Reply: Codable & Sendable>(
        _ command: LaunchCommand, _ arguments: Arguments?, _ reply: Reply.Type
    ) async throws -> Reply {
        let line = try await self.raw(LaunchWire.frame(LaunchRequest(command, arguments)))
        let head = try LaunchWire.decode(LaunchFrameHead.self, from: line)
        guard head.success == true else {
            throw Self.error(for: head.message ?? "request failed")
        }
        do {
            return try LaunchWire.decode(LaunchResponse<Reply>.self, from: line).message
        } catch {
            throw GSSAError.server("unexpected reply to \(command.rawValue): \(String(buffer: line))")
        }
    }

    /// Sends bytes as they are (one or more frames, or garbage) and returns the next reply line.
    public func raw(_ bytes: ByteBuffer) async throws -> ByteBuffer {
        let reply = try await self.pending.send { try await self.outbound.write(bytes) }
        return try await reply.get()
    }

    /// The daemon's refusals are client errors, except capacity and engine trouble.
    static func error(for message: String) -> GSSAError {
        if message.hasPrefix("Too many containers") || message.hasPrefix("Docker engine") || message.hasPrefix("Image ") {
            return GSSAError.server(message)
        }
        return GSSAError.client(message)
    }
}

/// FIFO of callers waiting for replies; a request is queued and written in one actor step,
/// so queue order is write order is reply order.
actor PendingReplies {
    private var waiting: [EventLoopPromise<ByteBuffer>] = []
    private var closed: (any Error)?

    var isClosed: Bool { self.closed != nil }

    func send(_ write: @Sendable () async throws -> Void) async throws -> EventLoopFuture<ByteBuffer> {
        if let closed { throw closed }
        let promise = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: ByteBuffer.self)
        self.waiting.append(promise)
        do {
            try await write()
        } catch {
            if let index = self.waiting.firstIndex(where: { $0.futureResult === promise.futureResult }) {
                self.waiting.remove(at: index)
            }
            promise.fail(error)
        }
        return promise.futureResult
    }

    func resolve(with line: ByteBuffer) {
        guard !self.waiting.isEmpty else { return }
        self.waiting.removeFirst().succeed(line)
    }

    func failAll(_ error: any Error) {
        self.closed = error
        let waiting = self.waiting
        self.waiting.removeAll()
        for promise in waiting { promise.fail(error) }
    }
}
