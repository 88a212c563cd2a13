import Foundation
import GSSA
import GSSAServer
import HummingbirdWSClient
import Logging
import NIOWebSocket

/// Subscribes to `/api/v1/events` and records every event until one run ends.
///
/// Made inside a ``TestScope`` (``TestServer/withServer`` and ``RealDaemon/with`` open one):
/// the connection runs as a child of that scope.
actor EventRecorder {
    private(set) var events: [ServerEvent] = []
    private var subscribed: CheckedContinuation<Void, Never>?
    private var isSubscribed = false
    private var connection: OwnedTask?

    /// Connects and returns once the server's `identify` greeting arrived (so nothing is missed).
    static func connect(base: String, token: String, until guid: String?, send: [String] = []) async -> EventRecorder {
        let recorder = EventRecorder()
        await recorder.open(url: base.replacingOccurrences(of: "http://", with: "ws://") + "/api/v1/events?token=\(token)", guid: guid, send: send)
        return recorder
    }

    private func open(url: String, guid: String?, send: [String]) async {
        let logger: Logger = {
            var logger = Logger(label: "gssa.test.ws")
            logger.logLevel = .critical
            return logger
        }()
        guard let scope = TestScope.tasks else { preconditionFailure("EventRecorder is made inside a TestScope") }
        connection = scope.submit {
            // A connection that fails ends the recording: the test sees what arrived.
            _ = try? await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
                for text in send { try await outbound.write(.text(text)) }
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message,
                        let event = try? JSONDecoder().decode(ServerEvent.self, from: Data(text.utf8))
                    else { continue }
                    await self.record(event)
                    if let guid, event.guid == guid, event.type == .complete || event.type == .fail {
                        try await outbound.close(.normalClosure, reason: nil)
                        return
                    }
                }
            }
            await self.markSubscribed()
        }
        await withCheckedContinuation { continuation in
            if isSubscribed { continuation.resume() } else { subscribed = continuation }
        }
    }

    private func record(_ event: ServerEvent) {
        events.append(event)
        if event.type == .identify { markSubscribed() }
    }

    private func markSubscribed() {
        isSubscribed = true
        subscribed?.resume()
        subscribed = nil
    }

    /// Waits for the connection to end (the watched run finished), bounded.
    func finish(seconds: Double = 120) async throws -> [ServerEvent] {
        guard let connection else { return events }
        // Whichever ends first: the connection, or the bound (which then closes the connection).
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await connection.wait() }
            group.addTask { try? await Task.sleep(for: .seconds(seconds)) }
            await group.next()
            connection.cancel()
            group.cancelAll()
        }
        return events
    }

    /// Closes now and returns what was recorded.
    func close() -> [ServerEvent] {
        connection?.cancel()
        return events
    }

    func count(_ kind: ServerEvent.Kind) -> Int { events.filter { $0.type == kind }.count }
}
