import Foundation
import GSSA
import Hummingbird
import Logging

/// Turns every failure into `{"error": {id, code, message}}` with a fitting HTTP status,
/// plus `candidates` for an ambiguous GUID prefix.
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext

    struct Body: Encodable {
        var error: GSSAError
        var candidates: [String]? = nil
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            // The router's own refusals get the GSSA body too; a known path with another
            // method is 405 with `Allow`, not 404.
            if error.status == .notFound, let allowed = APIRoutes.allowedMethods(request.uri.path) {
                var response = try JSONResponse.make(
                    Body(error: .client("\(request.method.rawValue) is not allowed on \(request.uri.path) (use \(allowed.joined(separator: ", ")))")),
                    status: .methodNotAllowed)
                response.headers[.allow] = allowed.joined(separator: ", ")
                return response
            }
            let message = error.status == .notFound ? "no such endpoint: \(request.uri.path)" : (error.body ?? error.status.reasonPhrase)
            return try JSONResponse.make(Body(error: GSSAError(error.status.code >= 500 ? .server : .client, message)), status: error.status)
        } catch let error as HTTPResponseError {
            throw error
        } catch {
            let failure = APIFailure.from(error)
            if failure.kind == .server {
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(failure.error)"])
            }
            var response = try JSONResponse.make(Body(error: failure.error, candidates: failure.candidates), status: Self.status(of: failure.kind))
            if let seconds = failure.retryAfter { response.headers[.retryAfter] = String(seconds) }
            return response
        }
    }

    static func status(of kind: APIFailure.Kind) -> HTTPResponse.Status {
        switch kind {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .conflict: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .tooManyRequests: .tooManyRequests
        case .unsupportedMediaType: .unsupportedMediaType
        case .upgradeRequired: .init(code: 426, reasonPhrase: "Upgrade Required")
        case .server: .internalServerError
        }
    }
}

/// JSON responses with stable key order.
enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
