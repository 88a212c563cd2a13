import Foundation
import GSSA
import Hummingbird
import NIOPosix

/// Response bodies streamed from disk in bounded chunks, read on NIO's thread pool: a bundle of
/// any size costs one chunk of memory per download, and no read blocks an event loop, the
/// cooperative pool or the manager actor.
enum StreamingBody {
    /// Bytes read from disk per chunk.
    static let chunkSize = 1 << 20

    /// Opens `url` now (a file replaced or removed afterwards still streams as it was) and
    /// streams it as the body, with its length as `Content-Length`.
    static func file(_ url: URL, pool: NIOThreadPool = .singleton) async throws -> ResponseBody {
        let (handle, size) = try await pool.runIfActive { () throws -> (FileHandle, Int) in
            do {
                let handle = try FileHandle(forReadingFrom: url)
                let size = try handle.seekToEnd()
                try handle.seek(toOffset: 0)
                return (handle, Int(size))
            } catch {
                throw APIFailure(.server, .server("cannot read \(url.lastPathComponent): \(error.localizedDescription)"))
            }
        }
        let file = OpenFile(handle: handle)
        return ResponseBody(contentLength: size) { writer in
            defer { file.close() }
            var remaining = size
            while remaining > 0 {
                let count = min(chunkSize, remaining)
                let data = try await pool.runIfActive { try file.handle.read(upToCount: count) ?? Data() }
                guard !data.isEmpty else {
                    throw GSSAError.server("\(url.lastPathComponent) shrank while it was being sent")
                }
                remaining -= data.count
                try await writer.write(ByteBuffer(bytes: data))
            }
            try await writer.finish(nil)
        }
    }

    /// A file handle read from one chunk at a time, by one writer.
    final class OpenFile: @unchecked Sendable {
        let handle: FileHandle
        init(handle: FileHandle) { self.handle = handle }
        func close() { try? handle.close() }
    }
}
