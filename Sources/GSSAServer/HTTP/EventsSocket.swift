import Foundation
import GSSA
import HummingbirdWebSocket

/// The `/api/v1/events` WebSocket: pushes the user's events as JSON text messages and answers
/// `{"request": "announce"}` (one `announce` per stored run) and `{"request": "identify"}`.
enum EventsSocket {
    static func serve(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, user: UserRecord,
        manager: SimulationManager, replay: Bool
    ) async throws {
        let hub = manager.hub
        let (id, stream) = await hub.subscribe(user: user)
        // Unsubscribed before returning, on every path (awaited, not left to a stray task).
        do {
            try await session(id: id, stream: stream, inbound: inbound, outbound: outbound, user: user, manager: manager, replay: replay)
        } catch {
            await hub.unsubscribe(id)
            throw error
        }
        await hub.unsubscribe(id)
    }

    private static func session(
        id: UUID, stream: AsyncStream<ServerEvent>, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
        user: UserRecord, manager: SimulationManager, replay: Bool
    ) async throws {
        let hub = manager.hub
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        await hub.send(await manager.identify(), to: id)
        if replay { for event in try await manager.announcements(user: user) { await hub.send(event, to: id) } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in stream {
                    let data = try encoder.encode(event)
                    try await outbound.write(.text(String(decoding: data, as: UTF8.self)))
                }
            }
            group.addTask {
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    guard case .text(let text) = message,
                        let request = try? JSONDecoder().decode(API.EventRequest.self, from: Data(text.utf8))
                    else { continue }
                    switch request.request {
                    case "announce":
                        for event in try await manager.announcements(user: user) { await hub.send(event, to: id) }
                    case "identify":
                        await hub.send(await manager.identify(), to: id)
                    default:
                        continue
                    }
                }
            }
            // The client closing (or the outbound failing) ends the session.
            try await group.next()
            group.cancelAll()
        }
    }
}
