import Families
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle

/// Puts the pieces together: store, launcher, manager, HTTP/WebSocket application and the
/// recovery service, run in one swift-service-lifecycle group.
public enum SimulationServer {
    /// The Hummingbird application for a manager.
    /// - Parameters:
    ///   - web: the dashboard's session lifetime and bounds (docs/web.md).
    ///   - onServerRunning: called with the bound port once the server listens (tests bind port 0).
    public static func makeApplication(
        manager: SimulationManager, store: any SimulationStore, host: String, port: Int,
        logger: Logger = Logger(label: "gssa.server"), web: WebConfiguration = WebConfiguration(),
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: ServerRequestContext.self)
        let sessions = WebSessions(configuration: web)
        router.add(middleware: APIErrorMiddleware())
        // The dashboard's cookie sign-in (docs/web.md); requests with a token pass it untouched.
        router.add(middleware: WebSessionMiddleware(sessions: sessions, store: store))
        router.add(middleware: TokenAuthMiddleware(store: store))
        APIRoutes.add(to: router, manager: manager)
        WebRoutes.add(to: router, manager: manager, store: store, sessions: sessions)
        var app = Application(
            router: router,
            server: TokenGatedWebSocketChannel.builder(webSocketRouter: router) { token in
                do {
                    if token.hasPrefix(UpgradeTokenGate.sessionPrefix) {
                        guard case .valid(let session) = await sessions.lookup(String(token.dropFirst(UpgradeTokenGate.sessionPrefix.count))) else { return false }
                        return try await store.user(tokenDigest: session.tokenDigest) != nil
                    }
                    return try await store.user(tokenDigest: APIToken.digest(token)) != nil
                } catch {
                    // Refused (the upgrade answers 401): a store that cannot be read admits no one.
                    logger.error("cannot check a WebSocket token", metadata: ["error": "\(error)"])
                    return false
                }
            },
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "gssa"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
        app.addServices(RecoveryService(manager: manager), FamilyReloadService(manager: manager))
        return app
    }

    /// `gssa server`: opens `<data>/gssa.sqlite3`, connects the daemon socket and serves until
    /// SIGTERM/SIGINT. Runs survive a stop: they are re-attached at the next start.
    public static func run(
        listen host: String, port: Int, data: URL, launcherSocket: String, mesher: any HostMesher = UnavailableHostMesher(),
        walltime: Double? = nil, limits: UploadLimits = UploadLimits(), maximumSweepSize: Int = 1000,
        scheduling: SchedulingConfiguration = SchedulingConfiguration(), registry: FamilyRegistry = .standard(),
        web: WebConfiguration = WebConfiguration(), logger: Logger = Logger(label: "gssa.server")
    ) async throws {
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let configuration = ServerConfiguration(
            dataDirectory: data, walltime: walltime, limits: limits, maximumSweepSize: maximumSweepSize, scheduling: scheduling)
        let store = try SQLiteSimulationStore(path: configuration.databasePath)
        let manager = try SimulationManager(
            configuration: configuration, store: store, launcher: DaemonLauncher(socket: launcherSocket),
            mesher: mesher, registry: registry, logger: logger)
        let app = makeApplication(manager: manager, store: store, host: host, port: port, logger: logger, web: web) { bound in
            logger.info("gssa server listening", metadata: ["address": "\(host):\(bound)", "data": "\(data.path)"])
            print("gssa server listening on \(host):\(bound)")
        }
        try await app.runService()
    }
}

/// Reconciles runs with the daemon at start, then keeps the queue moving until shutdown.
struct RecoveryService: Service {
    let manager: SimulationManager

    func run() async throws {
        // The manager's tasks run as children of this service, and end with it.
        async let tasks: Void = manager.run()
        await manager.recover()
        let interval = manager.configuration.queuePollInterval
        // Poll the queue as a safety net: slots can free up without an event reaching us
        // (another client of the daemon finishing).
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval * 4)
                await manager.pump()
            }
        }
        await manager.shutdown()
        await tasks
    }
}
