#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The container's memory cgroup, read from inside: how many times the kernel's OOM killer has
/// acted in it.
///
/// The runner compares the count before and after the model: a model that died of SIGKILL while
/// the count grew was stopped for memory, whatever the engine later says. Both hierarchies are
/// read: cgroup v1 (`memory/memory.oom_control`, `oom_kill N`) and v2 (`memory.events`,
/// `oom_kill N`). Without either (a kernel before 4.13, no cgroup mount) the count is nil and
/// nothing is claimed.
struct MemoryCgroup: Sendable {
    /// The files to read, first found wins.
    var candidates: [String]

    init(root: String = "/sys/fs/cgroup") {
        self.candidates = [root + "/memory/memory.oom_control", root + "/memory.events"]
    }

    /// The `oom_kill` count, or nil when no cgroup file says it.
    func oomKills() -> Int? {
        for path in candidates {
            guard let bytes = FileSystem.readFile(path, limit: 4096) else { continue }
            if let count = Self.oomKills(in: String(decoding: bytes, as: UTF8.self)) { return count }
        }
        return nil
    }

    /// The value of the `oom_kill` line of a `key value` listing.
    static func oomKills(in text: String) -> Int? {
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count == 2, fields[0] == "oom_kill" { return Int(fields[1]) }
        }
        return nil
    }
}
