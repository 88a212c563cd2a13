#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A bounded pipe of bytes from async code (a download) to a blocking reader (libarchive on
/// its own thread).
///
/// The writer suspends while more than ``capacity`` bytes wait unread, so a fast download
/// never piles up in memory; the reader blocks until bytes arrive or the writer finishes. If
/// the reader gives up (a refused member, a quota), the writer's next ``write(_:)`` throws the
/// reader's error, so the download stops at once.
public final class TarByteSource: @unchecked Sendable {
    /// Unread bytes above which the writer waits.
    public let capacity: Int
    private let condition = BlockingCondition()
    private var chunks: [[UInt8]] = []
    private var head = 0
    private var buffered = 0
    private var finished = false
    private var writerFailure: (any Error)?
    private var readerFailure: (any Error)?
    private var waitingWriter: CheckedContinuation<Void, any Error>?

    public init(capacity: Int = 8 << 20) {
        self.capacity = max(1, capacity)
    }

    /// Appends bytes; suspends while the reader is behind by more than ``capacity``.
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            self.condition.lock()
            defer { self.condition.unlock() }
            if let readerFailure = self.readerFailure {
                continuation.resume(throwing: readerFailure)
                return
            }
            self.chunks.append(bytes)
            self.buffered += bytes.count
            self.condition.broadcast()
            if self.buffered <= self.capacity {
                continuation.resume()
            } else {
                self.waitingWriter = continuation
            }
        }
    }

    /// No more bytes: the reader sees the end of the stream.
    public func finish() {
        self.condition.lock()
        self.finished = true
        self.condition.broadcast()
        self.condition.unlock()
    }

    /// The download failed: the reader's next read throws `error`.
    public func fail(_ error: any Error) {
        self.condition.lock()
        self.writerFailure = self.writerFailure ?? error
        self.finished = true
        self.condition.broadcast()
        self.condition.unlock()
    }

    /// The reader gave up: the writer's next (or current) write throws `error`.
    public func close(reader error: any Error) {
        self.condition.lock()
        self.readerFailure = self.readerFailure ?? error
        self.chunks.removeAll()
        self.head = 0
        self.buffered = 0
        let writer = self.waitingWriter
        self.waitingWriter = nil
        self.condition.unlock()
        writer?.resume(throwing: error)
    }

    /// The next chunk, blocking until one arrives; nil at the end. Throws the writer's failure.
    public func next() throws -> [UInt8]? {
        self.condition.lock()
        while self.head == self.chunks.count && !self.finished {
            self.condition.wait()
        }
        if self.head < self.chunks.count {
            let chunk = self.chunks[self.head]
            self.head += 1
            if self.head > 64 {
                self.chunks.removeFirst(self.head)
                self.head = 0
            }
            self.buffered -= chunk.count
            var writer: CheckedContinuation<Void, any Error>?
            if self.buffered <= self.capacity {
                writer = self.waitingWriter
                self.waitingWriter = nil
            }
            self.condition.unlock()
            writer?.resume()
            return chunk
        }
        let failure = self.writerFailure
        self.condition.unlock()
        if let failure { throw failure }
        return nil
    }
}

/// A mutex with one condition variable (pthread), for the one blocking side of ``TarByteSource``.
/// (FoundationEssentials has no NSCondition.)
final class BlockingCondition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(self.mutex, nil)
        pthread_cond_init(self.cond, nil)
    }

    deinit {
        pthread_cond_destroy(self.cond)
        pthread_mutex_destroy(self.mutex)
        self.cond.deallocate()
        self.mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(self.mutex) }
    func unlock() { pthread_mutex_unlock(self.mutex) }
    func wait() { pthread_cond_wait(self.cond, self.mutex) }
    func broadcast() { pthread_cond_broadcast(self.cond) }
}
