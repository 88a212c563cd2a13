/// Splits Docker's multiplexed log stream (used when a container has no TTY).
///
/// The stream is a sequence of frames: an 8-byte header `[stream, 0, 0, 0, size (u32 big
/// endian)]` then `size` payload bytes. Headers and payloads may be cut anywhere by the
/// transport, so bytes are buffered until a frame is complete.
public struct DockerLogDemultiplexer: Sendable {
    private var buffer: [UInt8] = []
    private var offset = 0

    public init() {}

    /// Feeds transport bytes; returns the complete frames they finish.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [LogChunk] where Bytes.Element == UInt8 {
        self.buffer.append(contentsOf: bytes)
        var chunks: [LogChunk] = []
        while self.buffer.count - self.offset >= 8 {
            let header = self.buffer[self.offset..<(self.offset + 8)]
            let base = header.startIndex
            let size =
                Int(header[base + 4]) << 24 | Int(header[base + 5]) << 16 | Int(header[base + 6]) << 8
                | Int(header[base + 7])
            guard self.buffer.count - self.offset - 8 >= size else { break }
            let stream = LogChunk.Stream(rawValue: header[base]) ?? .stdout
            let start = self.offset + 8
            chunks.append(LogChunk(stream: stream, bytes: Array(self.buffer[start..<(start + size)])))
            self.offset = start + size
        }
        if self.offset > 0 && self.offset >= self.buffer.count / 2 {
            self.buffer.removeFirst(self.offset)
            self.offset = 0
        }
        return chunks
    }

    /// Bytes of an incomplete trailing frame.
    public var pendingByteCount: Int { self.buffer.count - self.offset }
}
