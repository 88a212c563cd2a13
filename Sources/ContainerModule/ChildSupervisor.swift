import CContainerSupport
import GSSAWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs the model process and everything that happens while it runs, on one thread with
/// `poll(2)`: it tees the child's stdout/stderr to the log files and to the runner's own
/// stdout/stderr (live logs), relays status-socket lines as `##gssa-status##` lines, forwards
/// SIGTERM/SIGINT/SIGHUP to the child's process group and reaps it (via a signalfd).
///
/// A poll loop rather than async/await: the runner must be a small static binary without a
/// concurrency runtime's threads, and signalfd needs the signals blocked in every thread.
final class ChildSupervisor {
    struct Outcome {
        var exitCode: Int32
        var signal: Int32
        /// The signal the runner itself received and forwarded, if any (cancellation).
        var cancelSignal: Int32?
    }

    private let liveStdout: Int32
    private let liveStderr: Int32
    private let jobOut: Int32
    private let jobErr: Int32
    private let listener: Int32
    private let signals: Int32

    private var clients: [(fd: Int32, lines: LineSplitter)] = []
    private var atLineStart = true
    private let maximumClients = 64
    /// A longer status line is cut into several (GSSAWire's LineSplitter drops nothing).
    static let maximumStatusLineLength = 4096

    init(liveStdout: Int32, liveStderr: Int32, jobOut: Int32, jobErr: Int32, listener: Int32, signals: Int32) {
        self.liveStdout = liveStdout
        self.liveStderr = liveStderr
        self.jobOut = jobOut
        self.jobErr = jobErr
        self.listener = listener
        self.signals = signals
    }

    deinit {
        for client in clients { close(client.fd) }
    }

    /// Spawns `arguments` in `directory` and supervises it until it has exited and its output
    /// is drained (at most `drainGrace` ms after exit, in case grandchildren keep the pipes).
    func run(arguments: [String], environment: [String: String], directory: String, drainGrace: Int32 = 2000)
        throws(RunnerFailure) -> Outcome
    {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard gssa_pipe_cloexec(&outPipe) == 0, gssa_pipe_cloexec(&errPipe) == 0 else {
            throw .server("cannot create pipes: \(FileSystem.errnoText())")
        }
        let pid = try spawn(arguments: arguments, environment: environment, directory: directory,
                            stdout: outPipe[1], stderr: errPipe[1])
        close(outPipe[1])
        close(errPipe[1])
        var out = outPipe[0]
        var err = errPipe[0]
        _ = gssa_set_nonblocking(out)
        _ = gssa_set_nonblocking(err)
        defer {
            if out >= 0 { close(out) }
            if err >= 0 { close(err) }
        }

        var waitStatus: Int32?
        var cancelSignal: Int32?
        var exitedAt: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)

        while true {
            if waitStatus != nil && out < 0 && err < 0 { break }
            if waitStatus != nil && Self.nowMilliseconds() - exitedAt > Int64(drainGrace) { break }

            var fds: [pollfd] = [pollfd(fd: signals, events: Int16(POLLIN), revents: 0),
                                 pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                                 pollfd(fd: out, events: Int16(POLLIN), revents: 0),
                                 pollfd(fd: err, events: Int16(POLLIN), revents: 0)]
            for client in clients { fds.append(pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), waitStatus == nil ? 250 : 50)
            if ready < 0 && errno != EINTR { throw .server("poll failed: \(FileSystem.errnoText())") }
            if ready <= 0 {
                // Belt and braces: a SIGCHLD coalesced away must not hang the run.
                if waitStatus == nil, let status = Self.reap(pid) { waitStatus = status; exitedAt = Self.nowMilliseconds() }
                continue
            }

            if fds[0].revents != 0 {
                while true {
                    let signal = gssa_signalfd_read(signals)
                    if signal <= 0 { break }
                    if signal == SIGCHLD {
                        if waitStatus == nil, let status = Self.reap(pid) {
                            waitStatus = status
                            exitedAt = Self.nowMilliseconds()
                        }
                    } else if waitStatus == nil {
                        cancelSignal = signal
                        note("received signal \(signal); forwarding it to the model")
                        kill(-pid, signal)
                    }
                }
            }
            if fds[1].revents != 0 { acceptClients() }
            if fds[2].revents != 0 { pump(&out, into: jobOut, live: liveStdout, buffer: &buffer, tracksLines: true) }
            if fds[3].revents != 0 { pump(&err, into: jobErr, live: liveStderr, buffer: &buffer, tracksLines: false) }
            for (offset, pfd) in fds.dropFirst(4).enumerated().reversed() where pfd.revents != 0 {
                readClient(at: offset, buffer: &buffer)
            }
        }
        if waitStatus == nil {
            // Drain grace without exit cannot happen (we only stop after exit), but be safe.
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            waitStatus = status
        }
        drainStatus(buffer: &buffer)
        let status = waitStatus!
        return Outcome(exitCode: gssa_exit_code(status), signal: gssa_term_signal(status), cancelSignal: cancelSignal)
    }

    // MARK: - Pieces

    private func spawn(arguments: [String], environment: [String: String], directory: String, stdout: Int32, stderr: Int32)
        throws(RunnerFailure) -> pid_t
    {
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        var oomFirst: Int32 = 0
        let rc = gssa_spawn(&argv, &envp, directory, stdout, stderr, &pid, &oomFirst)
        guard rc == 0 else {
            throw .client("cannot start \(arguments.joined(separator: " ")): \(FileSystem.errnoText(rc))")
        }
        if oomFirst == 0 {
            note("could not make the model the OOM killer's first choice (/proc/self/oom_score_adj); "
                + "if memory runs out the runner may be killed and the verdict lost")
        }
        return pid
    }

    private static func reap(_ pid: pid_t) -> Int32? {
        var ours: Int32?
        while true {
            var status: Int32 = 0
            // As PID 1 (no init), orphaned grandchildren are ours to reap too; otherwise only
            // our child is, so an embedding process's other children are left alone.
            let reaped = waitpid(getpid() == 1 ? -1 : pid, &status, WNOHANG)
            if reaped <= 0 { break }
            if reaped == pid { ours = status }
        }
        return ours
    }

    private func pump(_ fd: inout Int32, into log: Int32, live: Int32, buffer: inout [UInt8], tracksLines: Bool) {
        while fd >= 0 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            if n <= 0 {
                close(fd)
                fd = -1
                return
            }
            buffer.withUnsafeBytes {
                let chunk = UnsafeRawBufferPointer(rebasing: $0[0..<n])
                FileSystem.writeAll(log, chunk)
                FileSystem.writeAll(live, chunk)
            }
            if tracksLines { atLineStart = buffer[n - 1] == UInt8(ascii: "\n") }
        }
    }

    private func acceptClients() {
        while true {
            let fd = gssa_accept(listener)
            if fd < 0 { return }
            if clients.count >= maximumClients {
                note("too many status connections; refusing one")
                close(fd)
                continue
            }
            clients.append((fd, LineSplitter(maximumLineLength: Self.maximumStatusLineLength)))
        }
    }

    private func readClient(at index: Int, buffer: inout [UInt8]) {
        while true {
            let fd = clients[index].fd
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            if n <= 0 {
                if let last = clients[index].lines.finish() { emit(last) }
                close(fd)
                clients.remove(at: index)
                return
            }
            for line in clients[index].lines.feed(buffer[0..<n]) { emit(line) }
        }
    }

    /// After the child is gone: take the connections and bytes still queued on the socket.
    private func drainStatus(buffer: inout [UInt8]) {
        acceptClients()
        for index in clients.indices.reversed() { readClient(at: index, buffer: &buffer) }
        for client in clients {
            var lines = client.lines
            if let last = lines.finish() { emit(last) }
            close(client.fd)
        }
        clients.removeAll()
    }

    private func emit(_ line: String) {
        if line.allSatisfy(\.isWhitespace) { return }
        let status = StatusLine(parsing: line)
        if !atLineStart { FileSystem.writeAll(liveStdout, "\n") }
        FileSystem.writeAll(liveStdout, status.rendered)
        atLineStart = true
    }

    private func note(_ text: String) {
        FileSystem.writeAll(liveStderr, "gssa-container: \(text)\n")
    }

    static func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
