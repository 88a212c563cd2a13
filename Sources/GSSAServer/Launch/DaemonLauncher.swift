import Foundation
import GSSA
import LaunchClient
import LaunchProtocol

/// ``SimulationLauncher`` over the `gssa-dockerlaunch` socket.
///
/// Each run keeps its own connection for the events of that run, as the original did with
/// one Submitter per simulation; short requests (state, cancel, logs, usage) open their own.
///
/// Faults are reported as such, never as a failed run: a socket that refuses connections is
/// ``LauncherUnavailable``; a connection that drops before the answer (or before the run's
/// exit event) is ``LauncherDisconnected``. Only the daemon's own refusals are `GSSAError`s.
public struct DaemonLauncher: SimulationLauncher {
    public let socket: String

    public init(socket: String) { self.socket = socket }

    public func run(_ specification: LaunchSpecification, observer: LaunchObserver) async throws -> RunResult {
        let arguments = StartArguments(
            guid: specification.guid, image: specification.image, input: specification.input.path,
            output: specification.output.path, limits: specification.limits, walltime: specification.walltime,
            interpreter: specification.interpreter, author: specification.author)
        return try await connected { client in
            let reply: RunReply
            do {
                reply = try await client.start(arguments)
            } catch {
                let classified = await Self.classify(error, client: client, started: false)
                if let refusal = classified as? GSSAError, refusal.reason.hasPrefix("Too many containers") {
                    throw LauncherAtCapacity(message: refusal.reason)
                }
                throw classified
            }
            await observer.started(reply.containerID, reply.imageID)
            if let result = reply.result { return result }
            return try await Self.follow(client, guid: specification.guid, observer: observer)
        }
    }

    public func attach(guid: String, observer: LaunchObserver) async throws -> RunResult {
        try await connected { client in
            let reply: RunReply
            do {
                reply = try await client.attach(guid: guid)
            } catch {
                throw await Self.classify(error, client: client, started: true)
            }
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
        throw LauncherDisconnected(
            reason: "the launch daemon closed the connection before run \(guid) finished", started: true)
    }

    public func state(guid: String) async throws -> LauncherRunState {
        try await connected { client in
            do {
                let reply = try await client.container(guid: guid)
                switch reply.state {
                case .starting, .running: return .running
                case .exited, .finished: return .exited
                }
            } catch {
                let classified = await Self.classify(error, client: client, started: true)
                if let refusal = classified as? GSSAError, refusal.code == .client { return .gone }
                throw classified
            }
        }
    }

    public func cancel(guid: String) async throws {
        _ = try await connected { client in
            do {
                return try await client.destroy(guid: guid)
            } catch {
                throw await Self.classify(error, client: client, started: true)
            }
        }
    }

    public func suspend(guid: String) async throws {
        _ = try await connected { client in
            do {
                return try await client.suspend(guid: guid)
            } catch {
                throw await Self.classify(error, client: client, started: true)
            }
        }
    }

    public func resume(guid: String) async throws {
        _ = try await connected { client in
            do {
                return try await client.resume(guid: guid)
            } catch {
                throw await Self.classify(error, client: client, started: true)
            }
        }
    }

    public func logs(guid: String) async throws -> LogsReply {
        try await connected { client in
            do {
                return try await client.logs(guid: guid)
            } catch {
                throw await Self.classify(error, client: client, started: true)
            }
        }
    }

    public func usage() async throws -> UsageReply {
        try await connected { client in
            do {
                return try await client.usage()
            } catch {
                throw await Self.classify(error, client: client, started: true)
            }
        }
    }

    /// Runs `body` on a fresh connection. Failing to connect is ``LauncherUnavailable``;
    /// whatever `body` throws passes through unchanged.
    private func connected<Result: Sendable>(_ body: (LaunchClient) async throws -> Result) async throws -> Result {
        do {
            return try await LaunchClient.withConnection(socket: socket) { client in
                do {
                    return try await body(client)
                } catch {
                    throw FromBody(error: error)
                }
            }
        } catch let passed as FromBody {
            throw passed.error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw LauncherUnavailable(reason: GSSAError.wrapping(error).message)
        }
    }

    private struct FromBody: Error {
        var error: any Error
    }

    /// The daemon's answer (a `GSSAError` on an open connection) or a broken connection.
    private static func classify(_ error: any Error, client: LaunchClient, started: Bool) async -> any Error {
        if error is CancellationError { return error }
        if error is GSSAError, !(await client.isClosed) { return error }
        return LauncherDisconnected(
            reason: "the connection to the launch daemon broke: \(GSSAError.wrapping(error).message)", started: started)
    }
}
