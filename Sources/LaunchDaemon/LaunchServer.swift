import CDaemonSupport
import Foundation
import GSSACore
import LaunchProtocol
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Serves a ``LaunchDaemon`` on its Unix socket, as a swift-service-lifecycle `Service`.
///
/// The socket is created with mode 0770 and the configured group, so only that group can
/// talk to the daemon; each connection's peer is identified with `SO_PEERCRED`. On graceful
/// shutdown the listener closes, open connections are closed, supervision stops and the
/// socket file is removed; containers keep running and are adopted on the next start.
///
/// The peer is always the kernel's `SO_PEERCRED`: there is no way to override it here. Tests
/// that need another identity drive ``LaunchDaemon/serve(frames:peer:send:)`` directly, the
/// transport-free seam this class wraps.
public final class LaunchServer: Service {
    public let daemon: LaunchDaemon
    private let logger: Logger
    /// Seconds between reaper passes.
    private let reapInterval: Double

    public init(
        daemon: LaunchDaemon, logger: Logger = Logger(label: "gssa.dockerlaunch"),
        reapInterval: Double? = nil
    ) {
        self.daemon = daemon
        self.logger = logger
        self.reapInterval = reapInterval ?? min(60, max(1, daemon.configuration.orphanTTL / 4))
    }

    struct Connection: Sendable {
        var channel: NIOAsyncChannel<JSONLineFrame, ByteBuffer>
        var peer: PeerCredentials
    }

    public func run() async throws {
        let configuration = self.daemon.configuration
        try await self.daemon.reconcile()
        let path = configuration.socket
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let maxFrame = configuration.maxFrameBytes
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 128)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                Self.peerCredentials(of: channel).flatMapThrowing { peer in
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(JSONLineFrameDecoder(maxFrameLength: maxFrame)))
                    let wrapped = try NIOAsyncChannel<JSONLineFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                    return Connection(channel: wrapped, peer: peer)
                }
            }
        defer { unlink(path) }
        try Self.secure(socket: path, group: configuration.group)
        self.logger.info(
            "listening on \(path) (daemon \(configuration.daemonID), max \(configuration.maxContainers) containers)")

        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                // Supervisors, collections and SIGKILL timers: cancelled and awaited with the group.
                group.addTask { await self.daemon.run() }
                group.addTask {
                    // Periodic reaper: TTL-expired uncollected containers and old results.
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(self.reapInterval))
                        if Task.isCancelled { break }
                        await self.daemon.reap()
                    }
                }
                do {
                    try await server.executeThenClose { connections in
                        for try await connection in connections {
                            group.addTask { await self.serve(connection) }
                        }
                    }
                } catch {
                    self.logger.error("listener failed: \(error)")
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.logger.info("shutting down: closing \(path)")
            server.channel.close(promise: nil)
        }
    }

    private func serve(_ connection: Connection) async {
        let peer = connection.peer
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                await self.daemon.serve(frames: inbound, peer: peer) { buffer in
                    try await outbound.write(buffer)
                }
            }
        } catch {
            self.logger.debug("connection of \(peer) closed: \(error)")
        }
    }

    /// `SO_PEERCRED` of an accepted Unix-socket connection.
    static func peerCredentials(of channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(GSSAError.server("connection does not expose socket options"))
        }
        // `struct ucred` is hidden behind _GNU_SOURCE in Glibc's Swift overlay; same layout.
        let future: EventLoopFuture<RawPeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(17 /* SO_PEERCRED */))
        let groups: EventLoopFuture<gssa_peer_groups_t> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(GSSA_SO_PEERGROUPS))
        // No supplementary groups when they cannot be read (too many): that only takes rights away.
        let known = groups.map { Self.groups(from: $0) }.recover { _ in [] }
        return future.and(known).map { credentials, groups in
            PeerCredentials(uid: credentials.uid, gid: credentials.gid, pid: credentials.pid, groups: groups)
        }
    }

    /// The gids SO_PEERGROUPS wrote: the kernel keeps them sorted, and the rest of the buffer is
    /// zero, so the list ends where the order breaks. (A lone gid 0 is indistinguishable from
    /// none and is dropped: fewer rights, never more.)
    static func groups(from raw: gssa_peer_groups_t) -> [UInt32] {
        withUnsafeBytes(of: raw.gids) { bytes in
            let gids = bytes.bindMemory(to: gid_t.self)
            var result: [UInt32] = []
            for gid in gids {
                if let last = result.last, gid <= last { break }
                if result.isEmpty, gid == 0 { continue }
                result.append(gid)
            }
            return result
        }
    }

    struct RawPeerCredentials: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// Mode 0770 and the configured group.
    static func secure(socket path: String, group: String?) throws {
        if let group {
            guard let entry = getgrnam(group) else {
                throw GSSAError.client("configuration: group '\(group)' does not exist", attribute: "group")
            }
            guard chown(path, uid_t(bitPattern: -1), entry.pointee.gr_gid) == 0 else {
                throw GSSAError.server("cannot give \(path) to group \(group): \(String(cString: strerror(errno)))")
            }
        }
        guard chmod(path, 0o770) == 0 else {
            throw GSSAError.server("cannot chmod 0770 \(path): \(String(cString: strerror(errno)))")
        }
    }
}
