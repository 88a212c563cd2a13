import Foundation
import NIOCore

/// Encoding and decoding of the daemon's JSON-lines wire format.
///
/// Every frame is one compact JSON object followed by `\n`. `JSONEncoder` escapes control
/// characters inside strings, so an encoded frame never contains a raw newline.
public enum LaunchWire {
    /// Frames larger than this are refused by both ends (1 MiB).
    public static let defaultMaxFrameLength = 1 << 20

    /// The encoder both ends use: compact, keys sorted, slashes unescaped, so frames are stable and readable in logs.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Encodes `value` as one frame, newline included.
    public static func frame<T: Encodable>(_ value: T, allocator: ByteBufferAllocator = .init()) throws -> ByteBuffer {
        var data = try encoder().encode(value)
        data.append(UInt8(ascii: "\n"))
        return allocator.buffer(bytes: data)
    }

    /// Decodes one frame (a line without its newline) as `type`.
    public static func decode<T: Decodable>(_ type: T.Type, from line: ByteBuffer) throws -> T {
        try JSONDecoder().decode(type, from: Data(line.readableBytesView))
    }
}
