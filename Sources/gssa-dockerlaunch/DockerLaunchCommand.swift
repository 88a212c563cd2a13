import ArgumentParser
import ContainerEngine
import Foundation
import GSSACore
import GSSALogging
import LaunchDaemon
import Logging
import ServiceLifecycle
import UnixSignals

/// `gssa-dockerlaunch --config FILE`: the privilege-separated launch daemon.
///
/// It is the only gssa process with access to the Docker socket. It runs in a
/// swift-service-lifecycle `ServiceGroup`; SIGTERM or SIGINT shut it down gracefully
/// (listener closed, socket removed, containers left running for the next start to adopt).
@main
struct DockerLaunchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gssa-dockerlaunch",
        abstract: "Run the gssa launch daemon (owns the Docker socket; serves a narrow JSON-lines protocol).")

    @Option(name: .long, help: "YAML configuration file.")
    var config: String

    @Option(name: .long, help: "Log level.")
    var logLevel: Logger.Level = .info

    @Option(name: .long, help: "Log records on stdout as text (for journalctl) or json (one object per line).")
    var logFormat = "text"

    func validate() throws {
        guard !self.config.isEmpty else { throw ValidationError("--config needs a file name") }
        guard LogFormat(rawValue: self.logFormat) != nil else {
            throw ValidationError("--log-format must be text or json, not '\(self.logFormat)'")
        }
    }

    func run() async throws {
        (LogFormat(rawValue: self.logFormat) ?? .text).bootstrap(level: self.logLevel)
        var logger = Logger(label: "gssa.dockerlaunch")
        logger.logLevel = self.logLevel
        do {
            let configuration = try DaemonConfiguration.load(path: self.config)
            let engine: any ContainerEngine
            let shutdown: @Sendable () async -> Void
            switch (configuration.executor, configuration.swarm) {
            case (.swarm, let swarm?):
                let swarmEngine = try await SwarmEngine.connect(
                    manager: swarm.manager, sharedRoot: swarm.sharedRoot, stopGrace: configuration.stopGrace, logger: logger)
                let capacity = try await swarmEngine.capacity()
                logger.info("swarm executor: manager \(swarm.manager), \(capacity.nodes) ready nodes, \(capacity.cores) cores")
                (engine, shutdown) = (swarmEngine, { await swarmEngine.shutdown() })
            default:
                let docker = try await DockerEngine.connect(socketPath: configuration.dockerSocket, logger: logger)
                (engine, shutdown) = (docker, { await docker.shutdown() })
            }
            let info = try await engine.info()
            logger.info("Docker engine \(info.version), API \(info.apiVersion)")
            let daemon = LaunchDaemon(configuration: configuration, engine: engine, logger: logger)
            let server = LaunchServer(daemon: daemon, logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: [.init(service: server)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger))
            try await group.run()
            await shutdown()
        } catch let error as GSSAError {
            FileHandle.standardError.write(Data("\(error.description)\n".utf8))
            throw ExitCode(Int32(error.code == .client ? 2 : 1))
        }
    }
}
