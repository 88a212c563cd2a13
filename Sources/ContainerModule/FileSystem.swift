#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Small POSIX file helpers. The runner avoids Foundation to keep its static binary small.
public enum FileSystem {
    static func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// `mkdir -p`.
    public static func createDirectories(_ path: String, mode: mode_t = 0o755) throws(RunnerFailure) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            current += "/" + part
            if mkdir(current, mode) != 0 && errno != EEXIST {
                throw .server("cannot create directory \(current): \(errnoText())")
            }
        }
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw .server("\(path) exists and is not a directory")
        }
    }

    /// `rm -rf`, never following symlinks.
    public static func removeTree(_ path: String) throws(RunnerFailure) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            chmod(path, 0o700)
            for name in try entries(of: path) {
                try removeTree(path + "/" + name)
            }
            if rmdir(path) != 0 { throw .server("cannot remove \(path): \(errnoText())") }
        } else if unlink(path) != 0 {
            throw .server("cannot remove \(path): \(errnoText())")
        }
    }

    /// Names in a directory, without `.` and `..`, sorted.
    public static func entries(of path: String) throws(RunnerFailure) -> [String] {
        guard let dir = opendir(path) else { throw .server("cannot list \(path): \(errnoText())") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Writes all of `bytes` to `fd`, retrying on EINTR and short writes.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN {
                    var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&pfd, 1, 1000)
                    continue
                }
                return false
            }
            offset += n
        }
        return true
    }

    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    @discardableResult
    public static func writeAll(_ fd: Int32, _ text: String) -> Bool {
        writeAll(fd, Array(text.utf8))
    }

    /// Creates or truncates `path` with `contents`.
    public static func writeFile(_ path: String, _ contents: String, mode: mode_t = 0o644) throws(RunnerFailure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw .server("cannot write \(path): \(errnoText())") }
        defer { close(fd) }
        if !writeAll(fd, contents) { throw .server("cannot write \(path): \(errnoText())") }
    }

    /// Reads a whole file (at most `limit` bytes from its end).
    public static func readFile(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, Int(st.st_size) > limit {
            lseek(fd, off_t(Int(st.st_size) - limit), SEEK_SET)
        }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            result.append(contentsOf: buffer[0..<n])
            if result.count > limit { result.removeFirst(result.count - limit) }
        }
        return result
    }

    /// Copies the directory tree `source` into `destination` (merging into existing
    /// directories, replacing files). Symlinks are copied as links; sockets, FIFOs and devices
    /// are skipped, as the original's copy skipped the status socket.
    public static func copyTree(_ source: String, to destination: String) throws(RunnerFailure) {
        var st = stat()
        guard lstat(source, &st) == 0 else { throw .server("cannot read \(source): \(errnoText())") }
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            var existing = stat()
            if lstat(destination, &existing) == 0 {
                guard (existing.st_mode & S_IFMT) == S_IFDIR else {
                    throw .client("cannot copy \(source) to \(destination): destination exists and is not a directory")
                }
            } else if mkdir(destination, (st.st_mode & 0o777) | 0o700) != 0 {
                throw .server("cannot create \(destination): \(errnoText())")
            }
            for name in try entries(of: source) {
                try copyTree(source + "/" + name, to: destination + "/" + name)
            }
        case S_IFREG:
            try copyFile(source, to: destination, mode: st.st_mode & 0o777)
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(source, &buffer, buffer.count - 1)
            guard n >= 0 else { throw .server("cannot read link \(source): \(errnoText())") }
            buffer[n] = 0
            unlink(destination)
            if symlink(buffer, destination) != 0 { throw .server("cannot create link \(destination): \(errnoText())") }
        default:
            return
        }
    }

    static func copyFile(_ source: String, to destination: String, mode: mode_t) throws(RunnerFailure) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw .server("cannot read \(source): \(errnoText())") }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode | 0o600)
        guard output >= 0 else { throw .server("cannot write \(destination): \(errnoText())") }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw .server("cannot read \(source): \(errnoText())") }
            if n == 0 { break }
            if !buffer.withUnsafeBytes({ writeAll(output, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }) {
                throw .server("cannot write \(destination): \(errnoText())")
            }
        }
    }
}
