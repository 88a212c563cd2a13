import Foundation
import GSSA
import NIOCore
import NIOPosix

/// A file as an async sequence of bounded chunks read on NIO's thread pool, between an optional
/// head and tail (a multipart envelope): a push of any size holds one chunk in memory.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let url: URL
    /// The file's size when it was measured; the sequence yields exactly this many file bytes.
    let size: Int
    var head = ByteBuffer()
    var tail = ByteBuffer()
    var chunkSize = 1 << 20

    /// Measures `url` (throws `E_CLIENT` when it is not a readable file).
    init(url: URL, local: String) throws {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
            let size = (attributes[.size] as? NSNumber)?.intValue
        else { throw GSSAError.client("no file \(local) in the run directory") }
        self.url = url
        self.size = size
    }

    /// Bytes the sequence yields in all.
    var length: Int { head.readableBytes + size + tail.readableBytes }

    func makeAsyncIterator() -> Iterator { Iterator(chunks: self) }

    struct Iterator: AsyncIteratorProtocol {
        let chunks: FileChunks
        var handle: FileHandle?
        var remaining: Int
        var stage = 0

        init(chunks: FileChunks) {
            self.chunks = chunks
            self.remaining = chunks.size
        }

        mutating func next() async throws -> ByteBuffer? {
            while true {
                switch stage {
                case 0:
                    stage = 1
                    if chunks.head.readableBytes > 0 { return chunks.head }
                case 1:
                    guard remaining > 0 else {
                        try? handle?.close()
                        stage = 2
                        continue
                    }
                    let url = chunks.url, count = Swift.min(chunks.chunkSize, remaining)
                    let open = handle
                    let (file, data) = try await NIOThreadPool.singleton.runIfActive { () throws -> (SendableHandle, Data) in
                        let file = try open ?? FileHandle(forReadingFrom: url)
                        return (SendableHandle(file), try file.read(upToCount: count) ?? Data())
                    }
                    handle = file.handle
                    guard !data.isEmpty else { throw GSSAError.server("\(url.lastPathComponent) shrank while it was being sent") }
                    remaining -= data.count
                    return ByteBuffer(bytes: data)
                case 2:
                    stage = 3
                    if chunks.tail.readableBytes > 0 { return chunks.tail }
                default:
                    return nil
                }
            }
        }
    }

    /// Carries a handle across the pool boundary (used by one iterator at a time).
    struct SendableHandle: @unchecked Sendable {
        let handle: FileHandle
        init(_ handle: FileHandle) { self.handle = handle }
    }
}
