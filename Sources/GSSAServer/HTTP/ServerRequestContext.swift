import Hummingbird
import HummingbirdWebSocket
import GSSACore

/// The request context of every route: Hummingbird's core storage, the WebSocket handler
/// slot, and the user the token identified.
public struct ServerRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// Set by ``TokenAuthMiddleware``; nil only on the routes that need no token.
    public var user: UserRecord?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.user = nil
    }

    /// The largest body Hummingbird itself collects; every route reads its body through
    /// ``RequestBody`` with its own, smaller limit, so this is only a backstop.
    public var maxUploadSize: Int { UploadLimits().maximumJSONBytes }

    /// JSON request bodies (file maps, two definitions to compare).
    var maximumJSONBytes: Int { UploadLimits().maximumJSONBytes }

    /// The authenticated user; routes behind the middleware always have one.
    func requireUser() throws -> UserRecord {
        guard let user else { throw APIFailure(.unauthorized, .client("missing or invalid API token")) }
        return user
    }
}
