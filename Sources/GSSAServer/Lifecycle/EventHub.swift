import Foundation

/// Fans published ``ServerEvent``s out to WebSocket subscribers.
///
/// Each subscriber sees only the runs its user may access. Buffers are bounded: a client that
/// stops reading loses the oldest events rather than growing the server's memory.
///
/// Published events name a run by its internal key (``SimulationRecord/guid``); the hub
/// rewrites it to the GUID the owner chose before anyone sees it.
public actor EventHub {
    private struct Subscriber {
        var user: UserRecord
        var continuation: AsyncStream<ServerEvent>.Continuation
    }

    private var subscribers: [UUID: Subscriber] = [:]
    private let bufferSize: Int
    private let resolveName: @Sendable (String) async -> String?
    /// Run key → client GUID, bounded (cleared when full).
    private var names: [String: String] = [:]

    public init(bufferSize: Int = 10_000, resolveName: @escaping @Sendable (String) async -> String? = { _ in nil }) {
        self.bufferSize = bufferSize
        self.resolveName = resolveName
    }

    /// Records the client GUID of a run key, so its events are shown under that GUID.
    public func register(key: String, name: String) {
        if names[key] == name { return }
        if names.count >= 10_000 { names.removeAll(keepingCapacity: true) }
        names[key] = name
    }

    /// The client GUID of the run with internal key `key` (the key itself when unknown).
    func name(of key: String) async -> String {
        if let name = names[key] { return name }
        guard let name = await resolveName(key) else { return key }
        if names.count >= 10_000 { names.removeAll(keepingCapacity: true) }
        names[key] = name
        return name
    }

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

    /// Sends `event` about a run owned by `owner` (nil: to everyone); `event.guid` is a run key.
    public func publish(_ event: ServerEvent, owner: String?) async {
        var event = event
        if let key = event.guid { event.guid = await name(of: key) }
        for subscriber in subscribers.values where owner == nil || subscriber.user.canAccess(owner: owner!) {
            subscriber.continuation.yield(event)
        }
    }

    /// Sends `event` to one subscriber only (replies to `request_announce` / `request_identify`);
    /// `event.guid`, if any, is already the client GUID.
    public func send(_ event: ServerEvent, to id: UUID) {
        subscribers[id]?.continuation.yield(event)
    }

    public var subscriberCount: Int { subscribers.count }
}
