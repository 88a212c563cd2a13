import Foundation

/// Fans published ``ServerEvent``s out to WebSocket subscribers.
///
/// Each subscriber sees only the runs its user may access. Buffers are bounded: a client that
/// stops reading loses the oldest events rather than growing the server's memory.
public actor EventHub {
    private struct Subscriber {
        var user: UserRecord
        var continuation: AsyncStream<ServerEvent>.Continuation
    }

    private var subscribers: [UUID: Subscriber] = [:]
    private let bufferSize: Int

    public init(bufferSize: Int = 10_000) { self.bufferSize = bufferSize }

    /// A stream of the events `user` may see; it ends when ``unsubscribe(_:)`` is called.
    public func subscribe(user: UserRecord) -> (UUID, AsyncStream<ServerEvent>) {
        let (stream, continuation) = AsyncStream<ServerEvent>.makeStream(bufferingPolicy: .bufferingNewest(bufferSize))
        let id = UUID()
        subscribers[id] = Subscriber(user: user, continuation: continuation)
        return (id, stream)
    }

    public func unsubscribe(_ id: UUID) {
        subscribers.removeValue(forKey: id)?.continuation.finish()
    }

    /// Sends `event` about a run owned by `owner` (nil: to everyone).
    public func publish(_ event: ServerEvent, owner: String?) {
        for subscriber in subscribers.values where owner == nil || subscriber.user.canAccess(owner: owner!) {
            subscriber.continuation.yield(event)
        }
    }

    /// Sends `event` to one subscriber only (replies to `request_announce` / `request_identify`).
    public func send(_ event: ServerEvent, to id: UUID) {
        subscribers[id]?.continuation.yield(event)
    }

    public var subscriberCount: Int { subscribers.count }
}
