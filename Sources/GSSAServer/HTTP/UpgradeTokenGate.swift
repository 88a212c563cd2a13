import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import Foundation

/// The HTTP/1 + WebSocket server channel, with upgrades that carry no valid token turned into
/// plain requests.
///
/// HummingbirdWebSocket answers every refused upgrade with a bare 400. A client that asks to
/// upgrade without a valid token should hear 401 with the GSSA error body, like any other
/// request: so such a request loses its `Upgrade` header before the upgrade handler sees it,
/// and the router's token check answers it.
struct TokenGatedWebSocketChannel: ServerChildChannel {
    typealias Value = HTTP1WebSocketUpgradeChannel.Value
    let inner: HTTP1WebSocketUpgradeChannel
    let isValidToken: @Sendable (String) async -> Bool

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { [isValidToken] value in
            let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try channel.pipeline.syncOperations.addHandler(UpgradeTokenGate(isValidToken: isValidToken), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }

    /// The server builder for a router that serves both HTTP and WebSocket routes.
    static func builder<Router: HTTPResponderBuilder & _HB_SendableMetatype>(
        webSocketRouter: Router, isValidToken: @escaping @Sendable (String) async -> Bool
    ) -> HTTPServerBuilder where Router.Responder.Context: WebSocketRequestContext {
        let webSocketResponder = webSocketRouter.buildResponder()
        return HTTPServerBuilder { responder in
            TokenGatedWebSocketChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder, configuration: .init()),
                isValidToken: isValidToken)
        }
    }
}

/// Looks at the first request head of a connection only (the only one that can upgrade), then
/// leaves the pipeline. An upgrade whose token is missing or unknown loses `Upgrade` (and the
/// `upgrade` token of `Connection`); while the token is checked, later parts wait, bounded.
final class UpgradeTokenGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    let isValidToken: @Sendable (String) async -> Bool
    private var checking = false
    private var waiting: [NIOAny] = []

    init(isValidToken: @escaping @Sendable (String) async -> Bool) { self.isValidToken = isValidToken }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if checking {
            guard waiting.count < 64 else { context.close(promise: nil); return }
            waiting.append(data)
            return
        }
        guard case .head(let head) = unwrapInboundIn(data), head.headers.contains(name: "upgrade") else {
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        guard let token = Self.token(of: head) else {
            pass(Self.withoutUpgrade(head), context: context)
            return
        }
        checking = true
        let check = isValidToken
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.makeFutureWithTask { await check(token) }.whenComplete { result in
            let (gate, context) = loopBound.value
            gate.checking = false
            let valid = (try? result.get()) == true
            gate.pass(valid ? head : Self.withoutUpgrade(head), context: context)
        }
    }

    private func pass(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        context.fireChannelRead(wrapInboundOut(.head(head)))
        for part in waiting { context.fireChannelRead(part) }
        waiting.removeAll()
        context.fireChannelReadComplete()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Marks a dashboard session id (from the cookie) handed to `isValidToken` instead of a token.
    static let sessionPrefix = "session:"

    static func token(of head: HTTPRequestHead) -> String? {
        if let header = head.headers["authorization"].first, header.lowercased().hasPrefix("bearer ") {
            let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
            return token.isEmpty ? nil : token
        }
        let query = head.uri.split(separator: "?", maxSplits: 1).dropFirst().first ?? ""
        for pair in query.split(separator: "&") where pair.hasPrefix("token=") {
            let token = String(pair.dropFirst(6)).removingPercentEncoding ?? ""
            return token.isEmpty ? nil : token
        }
        if let session = WebSessions.cookie(in: head.headers["cookie"].joined(separator: "; ")) { return sessionPrefix + session }
        return nil
    }

    static func withoutUpgrade(_ head: HTTPRequestHead) -> HTTPRequestHead {
        var head = head
        head.headers.remove(name: "upgrade")
        let connection = head.headers["connection"].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.lowercased() != "upgrade" }
        head.headers.remove(name: "connection")
        if !connection.isEmpty { head.headers.add(name: "connection", value: connection.joined(separator: ", ")) }
        return head
    }
}
