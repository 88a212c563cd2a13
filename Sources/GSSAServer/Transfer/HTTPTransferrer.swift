import AsyncHTTPClient
import Foundation
import GSSA
import NIOCore
import NIOHTTP1
import NIOFoundationEssentialsCompat
import NIOPosix

/// The `http` transferrer: `GET <url>/<remote>` to pull, multipart `POST` (field `file`) to push.
///
/// Every request has a deadline: a URL that never answers fails with `E_CLIENT` naming the URL
/// instead of hanging the run (bug 11 of the original).
public struct HTTPTransferrer: Transferrer {
    public var baseURL: String
    public var timeout: TimeAmount
    public var client: HTTPClient
    /// Largest file accepted on pull.
    public var maxBytes: Int

    public init(baseURL: String, client: HTTPClient = .shared, timeout: TimeAmount = .seconds(30), maxBytes: Int = 1 << 30) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.client = client
        self.timeout = timeout
        self.maxBytes = maxBytes
    }

    private func url(for remote: String) -> String {
        if remote.hasPrefix("http://") || remote.hasPrefix("https://") { return remote }
        return baseURL + "/" + remote
    }

    public func pull(_ files: [TransferFile], into root: URL, remoteRoot: String) async throws {
        let fm = FileManager.default
        for file in files {
            let destination = try file.checkedLocal(in: root)
            if fm.fileExists(atPath: destination.path) { continue }
            guard SafePath.isSafeRelative(file.remote) || file.remote.hasPrefix("http") else {
                throw GSSAError.client("refused input name '\(file.remote)': it must be relative without '..'")
            }
            let url = url(for: file.remote)
            let response: HTTPClientResponse
            do {
                response = try await client.execute(HTTPClientRequest(url: url), timeout: timeout)
                guard response.status == .ok else {
                    throw GSSAError.client("GET \(url) answered \(response.status.code) \(response.status.reasonPhrase)")
                }
            } catch let error as GSSAError {
                throw error
            } catch {
                throw GSSAError.client("transferrer: GET \(url) failed (timeout \(timeout.nanoseconds / 1_000_000_000) s): \(error)")
            }
            try await download(response.body, from: url, to: destination, local: file.local)
        }
    }

    /// Streams a response body to `destination` through a hidden partial file (renamed into
    /// place when complete), at most 1 MiB in memory, writing on NIO's thread pool. Beyond
    /// ``maxBytes`` the partial file is removed and the pull fails naming the limit.
    func download(_ body: HTTPClientResponse.Body, from url: String, to destination: URL, local: String) async throws {
        let pool = NIOThreadPool.singleton
        let partial = destination.deletingLastPathComponent().appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).partial")
        let handle = try await pool.runIfActive { () throws -> PartialFile in
            do {
                try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
                guard FileManager.default.createFile(atPath: partial.path, contents: nil) else {
                    throw GSSAError.server("cannot create \(partial.path)")
                }
                return PartialFile(handle: try FileHandle(forWritingTo: partial))
            } catch let error as GSSAError {
                throw error
            } catch {
                throw GSSAError.server("cannot write input \(local): \(error.localizedDescription)")
            }
        }
        do {
            var received = 0
            var pending = ByteBuffer()
            func flush() async throws {
                guard pending.readableBytes > 0 else { return }
                let data = Data(buffer: pending)
                pending.clear()
                try await pool.runIfActive { try handle.handle.write(contentsOf: data) }
            }
            do {
                for try await chunk in body {
                    received += chunk.readableBytes
                    guard received <= maxBytes else {
                        throw GSSAError.client("GET \(url) sent more than the transferrer's limit of \(maxBytes) bytes")
                    }
                    var chunk = chunk
                    pending.writeBuffer(&chunk)
                    if pending.readableBytes >= 1 << 20 { try await flush() }
                }
            } catch let error as GSSAError {
                throw error
            } catch {
                throw GSSAError.client("transferrer: GET \(url) failed while receiving (timeout \(timeout.nanoseconds / 1_000_000_000) s): \(error)")
            }
            try await flush()
            try await pool.runIfActive {
                try handle.handle.close()
                guard rename(partial.path, destination.path) == 0 else {
                    throw GSSAError.server("cannot write input \(local): \(String(cString: strerror(errno)))")
                }
            }
        } catch {
            try? handle.handle.close()
            try? FileManager.default.removeItem(at: partial)
            if let error = error as? GSSAError { throw error }
            throw GSSAError.server("cannot write input \(local): \(error.localizedDescription)")
        }
    }

    /// A file being received, written from one task at a time.
    final class PartialFile: @unchecked Sendable {
        let handle: FileHandle
        init(handle: FileHandle) { self.handle = handle }
    }

    public func push(_ files: [TransferFile], from root: URL, remoteRoot: String) async throws -> [String: String] {
        var pushed: [String: String] = [:]
        for file in files {
            let source = try file.checkedLocal(in: root)
            var chunks = try FileChunks(url: source, local: file.local)
            let url = url(for: file.remote)
            let boundary = "gssa-\(UUID().uuidString)"
            chunks.head.writeString("--\(boundary)\r\n")
            chunks.head.writeString("Content-Disposition: form-data; name=\"file\"; filename=\"\(source.lastPathComponent)\"\r\n")
            chunks.head.writeString("Content-Type: application/octet-stream\r\n\r\n")
            chunks.tail.writeString("\r\n--\(boundary)--\r\n")
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
            // Streamed from disk a chunk at a time (a bundle of any size is never held in memory).
            request.body = .stream(chunks, length: .known(Int64(chunks.length)))
            do {
                let response = try await client.execute(request, timeout: timeout)
                guard (200..<300).contains(response.status.code) else {
                    throw GSSAError.client("POST \(url) answered \(response.status.code) \(response.status.reasonPhrase)")
                }
            } catch let error as GSSAError {
                throw error
            } catch {
                throw GSSAError.client("transferrer: POST \(url) failed (timeout \(timeout.nanoseconds / 1_000_000_000) s): \(error)")
            }
            pushed[file.local] = url
        }
        return pushed
    }
}
