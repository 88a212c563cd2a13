import Foundation
import GSSA
#if canImport(Glibc)
import Glibc
#endif

/// A bare TCP HTTP/1.1 exchange, for what a regular client cannot do: send headers that
/// promise more body than is ever sent, send part of a body and wait, or send an upgrade.
struct RawHTTP: Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw GSSAError.server("socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { Glibc.close(fd); throw GSSAError.server("connect: \(errno)") }
    }

    func send(_ text: String) throws { try send(Data(text.utf8)) }

    func send(_ data: Data) throws {
        var offset = 0
        while offset < data.count {
            let sent = data.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, data.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw GSSAError.server("send: \(errno)") }
            offset += sent
        }
    }

    /// Reads until the head and `Content-Length` bytes of body (or EOF) arrived, or the
    /// deadline passed: a reply that never comes is a timeout error, not a hang.
    func readResponse(timeout seconds: Double = 10) throws -> (status: Int, headers: String, body: String) {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received.append(contentsOf: buffer[0..<count])
            let text = String(decoding: received, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = String(text[..<end.lowerBound])
                let body = String(text[end.upperBound...])
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if body.utf8.count >= length { return try Self.parse(head, body) }
            }
        }
        let text = String(decoding: received, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else {
            throw GSSAError.server("no HTTP response within \(seconds) s (got \(received.count) bytes)")
        }
        return try Self.parse(String(text[..<end.lowerBound]), String(text[end.upperBound...]))
    }

    static func parse(_ head: String, _ body: String) throws -> (status: Int, headers: String, body: String) {
        let parts = head.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { throw GSSAError.server("bad status line: \(head)") }
        return (status, head, body)
    }

    func close() { _ = Glibc.close(fd) }

    /// Runs blocking socket calls on a dispatch thread: blocking the cooperative pool would
    /// starve the in-process server under test.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    func write(_ text: String) async throws { try await write(Data(text.utf8)) }
    func write(_ data: Data) async throws { try await Self.offPool { try self.send(data) } }
    func response(timeout seconds: Double = 10) async throws -> (status: Int, headers: String, body: String) {
        try await Self.offPool { try self.readResponse(timeout: seconds) }
    }
}
