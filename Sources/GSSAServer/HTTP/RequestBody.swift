import Foundation
import GSSA
import Hummingbird
import NIOPosix
import NIOFoundationEssentialsCompat

/// Reads request bodies within a limit, refusing with HTTP 413 (naming the limit and how to
/// raise it) at the first byte over it, or at once when `Content-Length` already says so.
enum RequestBody {
    /// The declared `Content-Length`, if any (nil when absent or unparsable).
    static func declaredLength(_ request: Request) -> Int64? {
        request.headers[.contentLength].flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Collects the whole body in memory; for bodies bounded by a small `limit`.
    static func collect(_ request: Request, limit: Int, what: String, hint: String) async throws -> ByteBuffer {
        if let length = declaredLength(request), length > limit {
            throw APIFailure.tooLarge(what, limit: Int64(limit), hint: hint)
        }
        var collected = ByteBuffer()
        for try await chunk in request.body {
            guard collected.readableBytes + chunk.readableBytes <= limit else {
                throw APIFailure.tooLarge(what, limit: Int64(limit), hint: hint)
            }
            var chunk = chunk
            collected.writeBuffer(&chunk)
        }
        return collected
    }

    /// Streams the body into a new file at `url` (never held in memory: at most
    /// ``flushBytes`` are buffered, and written on NIO's thread pool). Over `limit`, the file is
    /// removed and the request refused.
    static func stream(_ request: Request, to url: URL, limit: Int64, what: String, hint: String) async throws -> Int64 {
        if let length = declaredLength(request), length > limit {
            throw APIFailure.tooLarge(what, limit: limit, hint: hint)
        }
        let pool = NIOThreadPool.singleton
        let file = try await pool.runIfActive { () throws -> StreamingBody.OpenFile in
            guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw APIFailure(.server, .server("cannot create \(url.lastPathComponent) for the upload"))
            }
            do {
                return StreamingBody.OpenFile(handle: try FileHandle(forWritingTo: url))
            } catch {
                throw APIFailure(.server, .server("cannot open \(url.lastPathComponent) for the upload: \(error)"))
            }
        }
        var written: Int64 = 0
        do {
            defer { file.close() }
            var pending = ByteBuffer()
            func flush() async throws {
                guard pending.readableBytes > 0 else { return }
                let data = Data(buffer: pending)
                pending.clear()
                try await pool.runIfActive { try file.handle.write(contentsOf: data) }
            }
            for try await chunk in request.body {
                written += Int64(chunk.readableBytes)
                guard written <= limit else { throw APIFailure.tooLarge(what, limit: limit, hint: hint) }
                var chunk = chunk
                pending.writeBuffer(&chunk)
                if pending.readableBytes >= flushBytes { try await flush() }
            }
            try await flush()
        } catch {
            try? FileManager.default.removeItem(at: url)
            if error is APIFailure { throw error }
            throw APIFailure(.server, .server("cannot store the upload: \(GSSAError.wrapping(error).message)"))
        }
        return written
    }

    /// Bytes of an upload buffered before they are written to disk.
    static let flushBytes = 1 << 20
}
