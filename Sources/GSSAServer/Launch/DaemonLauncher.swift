import Foundation
import GSSA
import LaunchClient
import LaunchProtocol

/// ``SimulationLauncher`` over the `gssa-dockerlaunch` socket.
///
/// Each run keeps its own connection for the events of that run, as the original did with
/// one Submitter per simulation; short requests (state, cancel, logs, usage) open their own.
public struct DaemonLauncher: SimulationLauncher {
    public let socket: String

    public init(socket: String) { self.socket = socket }

    public func run(_ specification: LaunchSpecification, observer: LaunchObserver) async throws -> RunResult {
        let arguments = StartArguments(
            guid: specification.guid, image: specification.image, input: specification.input.path,
            output: specification.output.path, walltime: specification.walltime,
            interpreter: specification.interpreter, author: specification.author)
        return try await LaunchClient.withConnection(socket: socket) { client in
            let reply: RunReply
            do {
                reply = try await client.start(arguments)
            } catch let error as GSSAError where error.reason.hasPrefix("Too many containers") {
                throw LauncherAtCapacity(message: error.reason)
            }
            await observer.started(reply.containerID, reply.imageID)
            if let result = reply.result { return result }
            return try await Self.follow(client, guid: specification.guid, observer: observer)
        }
    }

    public func attach(guid: String, observer: LaunchObserver) async throws -> RunResult {
        try await LaunchClient.withConnection(socket: socket) { client in
            let reply = try await client.attach(guid: guid)
            await observer.started(reply.containerID, reply.imageID)
            if let result = reply.result { return result }
            return try await Self.follow(client, guid: guid, observer: observer)
        }
    }

    private static func follow(_ client: LaunchClient, guid: String, observer: LaunchObserver) async throws -> RunResult {
        for await event in client.events where event.guid == guid {
            switch event {
            case .status(_, let percentage, let message): await observer.status(percentage, message)
            case .log: continue
            case .exit(_, let result): return result
            }
        }
        try Task.checkCancellation()
        throw GSSAError.server("the launch daemon closed the connection before run \(guid) finished")
    }

    public func state(guid: String) async throws -> LauncherRunState {
        try await LaunchClient.withConnection(socket: socket) { client in
            do {
                let reply = try await client.container(guid: guid)
                switch reply.state {
                case .starting, .running: return .running
                case .exited, .finished: return .exited
                }
            } catch let error as GSSAError where error.code == .client {
                return .gone
            }
        }
    }

    public func cancel(guid: String) async throws {
        _ = try await LaunchClient.withConnection(socket: socket) { client in try await client.destroy(guid: guid) }
    }

    public func logs(guid: String) async throws -> LogsReply {
        try await LaunchClient.withConnection(socket: socket) { client in try await client.logs(guid: guid) }
    }

    public func usage() async throws -> UsageReply {
        try await LaunchClient.withConnection(socket: socket) { client in try await client.usage() }
    }
}
