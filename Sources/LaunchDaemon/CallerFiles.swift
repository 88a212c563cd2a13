import CDaemonSupport
import Foundation
import GSSAArchive
import GSSACore

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's work on a caller's files, done on a ``CallerThread`` (with the caller's rights)
/// and through directory file descriptors.
///
/// * Inputs are opened and read by the caller's credentials: a file the caller cannot read is
///   refused, whatever the daemon could read. The tree is walked with `openat(O_NOFOLLOW)` and
///   every byte staged is read through the descriptor that was checked, so nothing can be
///   swapped in between.
/// * Outputs are directories the daemon creates as the caller (so the caller owns them), or
///   existing directories the caller owns.
/// * Collection extracts into a fresh staging directory inside the output, from a private cwd
///   opened with `O_NOFOLLOW`, so no path a user can swap is ever followed; only when the whole
///   archive passed is it moved into place. A refused or over-quota output leaves nothing behind.
enum CallerFiles {
    /// Where a path was found to be, for messages and labels.
    struct Opened {
        var fd: Int32
        var realPath: String
    }

    /// Bounds on one input tree.
    struct InputBounds {
        var maxBytes: Int64
        var maxEntries: Int
        var maxDepth = 64
    }

    static func text(_ value: Int32 = Glibc.errno) -> String { String(cString: strerror(value)) }

    /// The path the kernel has for an open descriptor.
    static func realPath(_ fd: Int32) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
        guard count > 0 else { throw GSSAError.server("cannot resolve descriptor \(fd): \(Self.text())") }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Refuses `real` unless it lies strictly under `root` (or is `root` itself when allowed).
    static func requireUnder(_ root: String, _ real: String, field: String, path: String, allowRoot: Bool = false) throws {
        if real.hasPrefix(root + "/") || (allowRoot && real == root) { return }
        throw GSSAError.client(
            "START: \(field) '\(path)' resolves to '\(real)', outside the data root \(root)", attribute: field)
    }

    static func absolute(_ path: String, field: String) throws -> URL {
        guard path.hasPrefix("/"), !path.contains("\0"), path.utf8.count < Int(PATH_MAX) else {
            throw GSSAError.client("START: \(field) '\(path)' must be an absolute path", attribute: field)
        }
        return URL(fileURLWithPath: path).standardizedFileURL
    }

    // MARK: Input

    /// The tar entries that stage `path` at `shared/input` for the container user `uid`/`gid`,
    /// read as the caller (run on a ``CallerThread``).
    static func inputEntries(
        _ path: String, root: String, caller: UInt32, uid: Int, gid: Int, bounds: InputBounds
    ) throws -> [TarEntry] {
        let url = try Self.absolute(path, field: "input")
        let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = Glibc.errno
            switch code {
            case ENOENT: throw GSSAError.client("START: input directory '\(path)' does not exist", attribute: "input")
            case ENOTDIR: throw GSSAError.client("START: input '\(path)' is not a directory", attribute: "input")
            case EACCES, EPERM:
                throw GSSAError.client(
                    "START: input '\(path)' is not readable by uid \(caller): \(Self.text(code))", attribute: "input")
            default: throw GSSAError.client("START: cannot open input '\(path)': \(Self.text(code))", attribute: "input")
            }
        }
        defer { close(fd) }
        try Self.requireUnder(root, try Self.realPath(fd), field: "input", path: path)
        var walker = InputWalker(caller: caller, uid: uid, gid: gid, bounds: bounds, shown: path)
        walker.entries.append(TarEntry(path: "shared", content: .directory, mode: 0o755, uid: uid, gid: gid))
        walker.entries.append(TarEntry(path: "shared/input", content: .directory, mode: 0o755, uid: uid, gid: gid))
        try walker.walk(fd, relative: "", depth: 0)
        return walker.entries
    }

    struct InputWalker {
        let caller: UInt32
        let uid: Int
        let gid: Int
        let bounds: InputBounds
        let shown: String
        var entries: [TarEntry] = []
        var bytes: Int64 = 0

        func refuse(_ relative: String, _ what: String, _ code: Int32) -> GSSAError {
            if code == EACCES || code == EPERM {
                return GSSAError.client(
                    "START: input \(what) '\(relative)' is not readable by uid \(self.caller)", attribute: "input")
            }
            return GSSAError.client("START: cannot read input \(what) '\(relative)': \(CallerFiles.text(code))", attribute: "input")
        }

        mutating func walk(_ directory: Int32, relative: String, depth: Int) throws {
            guard depth < self.bounds.maxDepth else {
                throw GSSAError.client(
                    "START: input '\(self.shown)' is nested deeper than \(self.bounds.maxDepth) directories", attribute: "input")
            }
            let listing = dup(directory)
            guard listing >= 0, let stream = fdopendir(listing) else {
                if listing >= 0 { close(listing) }
                throw self.refuse(relative.isEmpty ? "." : relative, "directory", Glibc.errno)
            }
            defer { closedir(stream) }
            var names: [String] = []
            while let item = readdir(stream) {
                let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                    String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                }
                if name != "." && name != ".." { names.append(name) }
                if self.entries.count + names.count > self.bounds.maxEntries { break }
            }
            for name in names.sorted() {
                let path = relative.isEmpty ? name : relative + "/" + name
                let member = "shared/input/" + path
                if self.entries.count >= self.bounds.maxEntries {
                    throw GSSAError.client(
                        "START: input '\(self.shown)' holds more than \(self.bounds.maxEntries) entries", attribute: "input")
                }
                var info = stat()
                guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                    throw self.refuse(path, "entry", Glibc.errno)
                }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    let child = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    guard child >= 0 else { throw self.refuse(path, "directory", Glibc.errno) }
                    defer { close(child) }
                    var opened = stat()
                    guard fstat(child, &opened) == 0 else { throw self.refuse(path, "directory", Glibc.errno) }
                    self.entries.append(
                        TarEntry(path: member, content: .directory, mode: UInt32(opened.st_mode & 0o755) | 0o700,
                                 uid: self.uid, gid: self.gid))
                    try self.walk(child, relative: path, depth: depth + 1)
                case S_IFREG:
                    let file = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
                    guard file >= 0 else { throw self.refuse(path, "file", Glibc.errno) }
                    defer { close(file) }
                    var opened = stat()
                    guard fstat(file, &opened) == 0, opened.st_mode & S_IFMT == S_IFREG else { continue }
                    let data = try self.read(file, size: Int64(opened.st_size), path: path)
                    self.entries.append(
                        TarEntry(path: member, content: .data(data), mode: (UInt32(opened.st_mode) & 0o755) | 0o600,
                                 uid: self.uid, gid: self.gid))
                case S_IFLNK:
                    // Stored as a link, never followed: it points into the container, not the host.
                    var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                    let count = readlinkat(directory, name, &target, target.count - 1)
                    guard count >= 0 else { throw self.refuse(path, "link", Glibc.errno) }
                    let text = String(decoding: target[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    self.entries.append(
                        TarEntry(path: member, content: .symlink(target: text), mode: 0o777, uid: self.uid, gid: self.gid))
                default:
                    continue  // sockets, FIFOs, devices: never staged
                }
            }
        }

        /// Reads a whole file through its descriptor, within the input's byte bound.
        mutating func read(_ fd: Int32, size: Int64, path: String) throws -> Data {
            guard self.bytes + size <= self.bounds.maxBytes else {
                throw GSSAError.client(
                    "START: input directory holds more than max_input_bytes (\(self.bounds.maxBytes)) bytes", attribute: "input")
            }
            var data = Data(count: Int(max(0, size)))
            var offset = 0
            while offset < data.count {
                let n = data.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + offset, $0.count - offset) }
                if n < 0, Glibc.errno == EINTR { continue }
                guard n >= 0 else { throw self.refuse(path, "file", Glibc.errno) }
                if n == 0 { break }
                offset += n
            }
            data.count = offset  // a file that shrank meanwhile is staged as read
            self.bytes += Int64(offset)
            return data
        }
    }

    // MARK: Output

    /// Makes sure `path` is an output directory for `owner`: creates it as the caller when
    /// missing (so the caller owns it), else requires it to be the caller's own writable
    /// directory. Returns its real path and whether it was created. Run on a ``CallerThread``.
    static func prepareOutput(_ path: String, root: String, owner: UInt32) throws -> (path: String, created: Bool) {
        let url = try Self.absolute(path, field: "output")
        let name = url.lastPathComponent
        let parentPath = url.deletingLastPathComponent().path
        guard url.path != "/", name != ".", name != ".." else {
            throw GSSAError.client("START: output '\(path)' is not a directory name", attribute: "output")
        }
        let parent = open(parentPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard parent >= 0 else {
            let code = Glibc.errno
            switch code {
            case ENOTDIR:
                throw GSSAError.client(
                    "START: output '\(path)': a component of '\(parentPath)' is a file, not a directory", attribute: "output")
            case ENOENT:
                throw GSSAError.client("START: output parent '\(parentPath)' does not exist", attribute: "output")
            case EACCES, EPERM:
                throw GSSAError.client(
                    "START: output parent '\(parentPath)' is not accessible to uid \(owner)", attribute: "output")
            default:
                throw GSSAError.client("START: output parent '\(parentPath)': \(Self.text(code))", attribute: "output")
            }
        }
        defer { close(parent) }
        let realParent = try Self.realPath(parent)
        let real = realParent == "/" ? "/" + name : realParent + "/" + name
        try Self.requireUnder(root, real, field: "output", path: path)
        var created = false
        if mkdirat(parent, name, 0o755) == 0 {
            created = true
        } else if Glibc.errno != EEXIST {
            let code = Glibc.errno
            if code == EACCES || code == EPERM {
                throw GSSAError.client(
                    "START: uid \(owner) may not create the output directory '\(path)' (its parent is not writable by you)",
                    attribute: "output")
            }
            throw GSSAError.client("START: cannot create output '\(path)': \(Self.text(code))", attribute: "output")
        }
        let fd = try Self.openOwnedDirectory(parent, name, shown: path, owner: owner)
        close(fd)
        return (real, created)
    }

    /// Opens `name` in `parent` without following a link, and requires that `owner` owns it
    /// and may write it.
    static func openOwnedDirectory(_ parent: Int32, _ name: String, shown: String, owner: UInt32) throws -> Int32 {
        let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            let code = Glibc.errno
            switch code {
            case ENOTDIR: throw GSSAError.client("START: output '\(shown)' exists and is not a directory", attribute: "output")
            case ELOOP: throw GSSAError.client("START: output '\(shown)' is a symbolic link", attribute: "output")
            case EACCES, EPERM:
                throw GSSAError.client("START: output '\(shown)' is not accessible to uid \(owner)", attribute: "output")
            default: throw GSSAError.client("START: cannot open output '\(shown)': \(Self.text(code))", attribute: "output")
            }
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw GSSAError.server("cannot stat output '\(shown)': \(Self.text())")
        }
        if CallerThread.canSwitch, info.st_uid != owner {
            close(fd)
            throw GSSAError.client(
                "START: output '\(shown)' belongs to uid \(info.st_uid), not to uid \(owner): name a directory you own or a new one",
                attribute: "output")
        }
        guard info.st_mode & 0o300 == 0o300 else {
            close(fd)
            throw GSSAError.client("START: output '\(shown)' is not writable by its owner", attribute: "output")
        }
        return fd
    }

    /// Removes `name` in `parent` if it is an empty directory (a START that failed after creating it).
    static func removeIfEmpty(_ path: String) {
        let url = URL(fileURLWithPath: path)
        let parent = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard parent >= 0 else { return }
        defer { close(parent) }
        _ = unlinkat(parent, url.lastPathComponent, AT_REMOVEDIR)
    }

    // MARK: Collection

    /// Opens the output directory of a run for collection (re-creating it if the caller removed it).
    static func openOutput(_ path: String, root: String, owner: UInt32) throws -> Int32 {
        let prepared = try Self.prepareOutput(path, root: root, owner: owner)
        let url = URL(fileURLWithPath: prepared.path)
        let parent = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard parent >= 0 else { throw GSSAError.server("cannot open the output's parent: \(Self.text())") }
        defer { close(parent) }
        let fd = try Self.openOwnedDirectory(parent, url.lastPathComponent, shown: path, owner: owner)
        let real = try Self.realPath(fd)
        guard real.hasPrefix(root + "/") else {
            close(fd)
            throw GSSAError.server("output '\(path)' moved outside the data root (now '\(real)')")
        }
        return fd
    }

    /// Streams the container's output tar from `source` into the output directory `path`, as
    /// the caller: into a staging directory first, then moved into place. With `exitStatus`,
    /// `logs/exit_status` is written with that text (the daemon's verdict: timeout, OOM).
    /// Without one, a runner's own out-of-memory verdict (``ExitStatus/reportsOutOfMemory``) is
    /// replaced by `outOfMemory` when given, and the answer says so.
    /// On any failure the staging directory is removed, the source is told to stop, and the
    /// error is rethrown. Run on a ``CallerThread``.
    static func collect(
        from source: TarByteSource, into path: String, root: String, owner: UInt32, limits: TarStreamExtractor.Limits,
        refusal: String, exitStatus: String?, outOfMemory: String? = nil
    ) throws -> CollectedOutput {
        let output: Int32
        do {
            output = try Self.openOutput(path, root: root, owner: owner)
        } catch {
            source.close(reader: error)
            throw error
        }
        defer { close(output) }
        let staging = ".gssa-collect-\(UUID().uuidString.prefix(12))"
        guard mkdirat(output, staging, 0o700) == 0 else {
            let error = GSSAError.server("cannot create a staging directory in '\(path)': \(Self.text())")
            source.close(reader: error)
            throw error
        }
        do {
            let stage = openat(output, staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard stage >= 0 else { throw GSSAError.server("cannot open the staging directory in '\(path)': \(Self.text())") }
            defer { close(stage) }
            let status = gssa_thread_chdir_private(stage, 0o022)
            guard status == 0 else { throw GSSAError.server("cannot enter the staging directory: \(Self.text(status))") }
            let summary = try TarStreamExtractor.extractIntoCurrentDirectory(
                from: source, stripComponents: 1, limits: limits, refusal: refusal)
            var runnerSawOOM = false
            if let exitStatus {
                Self.writeExitStatus(exitStatus, in: stage)
            } else if let outOfMemory, Self.readExitStatus(in: stage)?.reportsOutOfMemory == true {
                runnerSawOOM = true
                Self.writeExitStatus(outOfMemory, in: stage)
            }
            try Self.merge(stage, into: output, depth: 0)
            Self.removeTree(output, staging, depth: 0)
            return CollectedOutput(bytes: summary.bytes, runnerSawOOM: runnerSawOOM)
        } catch {
            source.close(reader: error)
            Self.removeTree(output, staging, depth: 0)
            throw error
        }
    }

    /// Writes the daemon's `logs/exit_status` into an output that has no archive to collect.
    static func writeExitStatus(_ text: String, output path: String, root: String, owner: UInt32) throws {
        let output = try Self.openOutput(path, root: root, owner: owner)
        defer { close(output) }
        Self.writeExitStatus(text, in: output)
    }

    /// The `logs/exit_status` under `directory` (at most 64 KiB, never through a link), or nil.
    static func readExitStatus(in directory: Int32) -> ExitStatus? {
        let logs = openat(directory, "logs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard logs >= 0 else { return nil }
        defer { close(logs) }
        let file = openat(logs, "exit_status", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard file >= 0 else { return nil }
        defer { close(file) }
        var bytes = [UInt8](repeating: 0, count: 64 << 10)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(file, $0.baseAddress! + count, $0.count - count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            count += n
        }
        return ExitStatus(fileContents: String(decoding: bytes[..<count], as: UTF8.self))
    }

    /// `logs/exit_status` under `directory`, never through a link; best effort (a model that
    /// made `logs` a link keeps its own file).
    static func writeExitStatus(_ text: String, in directory: Int32) {
        _ = mkdirat(directory, "logs", 0o755)
        let logs = openat(directory, "logs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard logs >= 0 else { return }
        defer { close(logs) }
        _ = unlinkat(logs, "exit_status", 0)
        let file = openat(logs, "exit_status", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard file >= 0 else { return }
        defer { close(file) }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
    }

    /// Moves everything in `source` into `target`; directories present in both are merged,
    /// anything else in `target` is replaced.
    static func merge(_ source: Int32, into target: Int32, depth: Int) throws {
        guard depth < 512 else { throw GSSAError.server("output nested too deeply to merge") }
        for name in try Self.names(source) {
            if gssa_rename_noreplace(source, name, target, name) == 0 { continue }
            var from = stat()
            var to = stat()
            guard fstatat(source, name, &from, AT_SYMLINK_NOFOLLOW) == 0,
                fstatat(target, name, &to, AT_SYMLINK_NOFOLLOW) == 0
            else { throw GSSAError.server("cannot move '\(name)' into the output: \(Self.text())") }
            if from.st_mode & S_IFMT == S_IFDIR, to.st_mode & S_IFMT == S_IFDIR {
                let a = openat(source, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                let b = openat(target, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                defer {
                    if a >= 0 { close(a) }
                    if b >= 0 { close(b) }
                }
                guard a >= 0, b >= 0 else { throw GSSAError.server("cannot merge '\(name)' into the output: \(Self.text())") }
                try Self.merge(a, into: b, depth: depth + 1)
                continue
            }
            if to.st_mode & S_IFMT == S_IFDIR { Self.removeTree(target, name, depth: 0) }
            guard renameat(source, name, target, name) == 0 else {
                throw GSSAError.server("cannot move '\(name)' into the output: \(Self.text())")
            }
        }
    }

    /// Names in a directory (without `.` and `..`).
    static func names(_ directory: Int32) throws -> [String] {
        let listing = dup(directory)
        guard listing >= 0, let stream = fdopendir(listing) else {
            if listing >= 0 { close(listing) }
            throw GSSAError.server("cannot list a directory: \(Self.text())")
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let item = readdir(stream) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes `name` in `parent` and everything beneath it, never following a link.
    static func removeTree(_ parent: Int32, _ name: String, depth: Int) {
        var info = stat()
        guard fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR, depth < 4096 {
            let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if fd >= 0 {
                for child in (try? Self.names(fd)) ?? [] { Self.removeTree(fd, child, depth: depth + 1) }
                close(fd)
            }
            _ = unlinkat(parent, name, AT_REMOVEDIR)
        } else {
            _ = unlinkat(parent, name, 0)
        }
    }
}
