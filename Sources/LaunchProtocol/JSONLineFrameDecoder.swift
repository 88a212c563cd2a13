import NIOCore

/// One unit read off a JSON-lines connection.
///
/// Oversized input is not an error that closes the connection: the decoder skips to the
/// next newline and reports how much it dropped, so the peer gets an error frame and can
/// carry on (the original dockerlaunch lost or choked on such input, reference §9 item 22).
public enum JSONLineFrame: Sendable, Equatable {
    /// A complete line without its terminating `\n` (and without a trailing `\r`).
    case line(ByteBuffer)
    /// A line longer than the limit was discarded; `byteCount` bytes of it were seen.
    case oversized(byteCount: Int)
}

/// Splits a byte stream into newline-terminated frames.
///
/// * partial reads are buffered until the newline arrives;
/// * several frames in one read are all emitted, in order;
/// * a frame longer than ``maxFrameLength`` is discarded up to its newline and reported
///   once as ``JSONLineFrame/oversized(byteCount:)``; the frames after it are decoded normally;
/// * empty lines are ignored; an unterminated tail at end of stream is dropped.
public struct JSONLineFrameDecoder: ByteToMessageDecoder, Sendable {
    /// The decoder emits frames, one per line or per dropped oversized line.
    public typealias InboundOut = JSONLineFrame

    /// The longest frame accepted, in bytes, excluding the newline.
    public let maxFrameLength: Int
    /// How many bytes of the buffer were already scanned for a newline.
    private var scanned = 0
    /// Bytes dropped so far of the current oversized frame, or nil when not discarding.
    private var discarded: Int?

    /// Creates a decoder accepting lines up to `maxFrameLength` bytes (1 MiB by default; must be positive).
    public init(maxFrameLength: Int = 1 << 20) {
        precondition(maxFrameLength > 0)
        self.maxFrameLength = maxFrameLength
    }

    /// Emits the next frame, if a whole one is buffered (NIO calls this until it asks for more data).
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = self.next(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    /// At end of stream: emits the remaining whole frames; an unterminated tail is dropped.
    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        try self.decode(context: context, buffer: &buffer)
    }

    /// The decoding step without a channel, so it can be unit tested and reused by clients
    /// that read with plain sockets. Returns nil when more bytes are needed.
    public mutating func next(from buffer: inout ByteBuffer) -> JSONLineFrame? {
        while true {
            let view = buffer.readableBytesView
            let start = view.startIndex + min(self.scanned, view.count)
            guard let newline = view[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                // No complete frame yet. Stop buffering once over the limit.
                if self.discarded != nil || view.count > self.maxFrameLength {
                    let wasDiscarding = self.discarded != nil
                    self.discarded = (self.discarded ?? 0) + view.count
                    buffer.moveReaderIndex(forwardBy: view.count)
                    self.scanned = 0
                    if !wasDiscarding { return .oversized(byteCount: self.discarded!) }
                } else {
                    self.scanned = view.count
                }
                return nil
            }
            let length = newline - view.startIndex
            self.scanned = 0
            if let dropped = self.discarded {
                // End of an oversized frame that was already reported.
                buffer.moveReaderIndex(forwardBy: length + 1)
                self.discarded = nil
                _ = dropped
                continue
            }
            if length > self.maxFrameLength {
                buffer.moveReaderIndex(forwardBy: length + 1)
                return .oversized(byteCount: length)
            }
            var line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            if line.readableBytesView.last == UInt8(ascii: "\r") {
                line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)!
            }
            if line.readableBytes == 0 { continue }
            return .line(line)
        }
    }
}
