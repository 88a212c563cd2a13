/// One member of an untrusted tar, as far as the safety policy needs it.
public struct ArchiveMember: Sendable, Hashable {
    /// What a member is, as far as the policy cares.
    public enum Kind: Sendable, Hashable {
        /// A regular file.
        case file
        /// A directory.
        case directory
        /// A symbolic link with its (unresolved) target.
        case symlink(String)
        /// A hard link to another member, named as in the archive.
        case hardlink(String)
        /// Devices, FIFOs, sockets and unknown types (described, e.g. `character device`): never extracted.
        case special(String)
    }

    /// The name as stored (a trailing `/` does not matter).
    public var name: String
    /// What the member is.
    public var kind: Kind

    /// Describes a member read from an archive header.
    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

/// The one policy for extracting untrusted tars: user uploads and container outputs
/// (GSSAArchive, on libarchive's disk writer) and the runner's start archive (ContainerModule,
/// static libarchive and `*at` calls). Both back ends ask it, before writing anything, and say
/// what it says, so a hole closed here is closed for all of them.
///
/// Refused: absolute names, `..` components and NUL bytes; symlinks that are empty, absolute, or
/// whose target (followed through the archive's other symlinks, so chains count; loops count as
/// escapes) leaves the root; anything beneath a symlink of the archive; hard links outside the
/// archive, through a symlink, or to anything but an earlier file of it; devices, FIFOs and
/// sockets; a non-directory name given twice; a non-directory without a name. Size and entry
/// limits are the back ends' (they count bytes as they decompress).
///
/// - Parameter stripComponents: Leading components dropped from every name first (container
///   outputs arrive as `output.final/…`); a member with nothing left is the root and skipped.
public enum ArchivePolicy {
    /// Why the archive may not be extracted, or nil when it may.
    public static func refusal(for members: [ArchiveMember], stripComponents: Int = 0) -> String? {
        let links = symlinks(in: members, stripComponents: stripComponents)
        var seen: [String: ArchiveMember.Kind] = [:]
        for member in members {
            if let why = refusal(for: member, stripComponents: stripComponents, links: links, earlier: seen) {
                return why
            }
            guard let path = strip(member.name, stripComponents) else { continue }
            if let previous = seen[path], !(previous == .directory && member.kind == .directory) {
                return "member '\(member.name)' appears twice"
            }
            seen[path] = member.kind
        }
        return nil
    }

    /// Why `member` may not be extracted, or nil when it may: the per-member rules, also used by
    /// streaming extraction, which knows only the symlinks and members seen so far.
    ///
    /// - Parameters:
    ///   - member: The member to judge, as its header describes it.
    ///   - stripComponents: Leading components dropped from its name first, as for the whole archive.
    ///   - links: The archive's symlinks (stripped path → target), all of them or those so far.
    ///   - earlier: Members before this one (stripped path → kind), for the hard-link rule; nil
    ///     skips that rule (a streaming writer lets the disk refuse a missing link target).
    public static func refusal(
        for member: ArchiveMember, stripComponents: Int, links: [String: String],
        earlier: [String: ArchiveMember.Kind]? = nil
    ) -> String? {
        let name = member.name
        if name.hasPrefix("/") || name.hasPrefix("\\") {
            return "member '\(name)' has an absolute path and escapes the extraction directory"
        }
        if name.contains("\0") || components(name).contains("..") {
            return "member '\(name)' contains '..' and escapes the extraction directory"
        }
        guard let path = strip(name, stripComponents) else {
            if member.kind == .directory || stripComponents > 0 { return nil }
            return "a member (kind \(member.kind)) has an empty name"
        }
        let parts = components(path)
        for end in parts.indices.dropLast() {
            let prefix = parts[...end].joined(separator: "/")
            if links[prefix] != nil {
                return "member '\(name)' lies beneath the symlink '\(prefix)' and escapes the extraction directory"
            }
        }
        switch member.kind {
        case .symlink(let target):
            if target.isEmpty { return "symlink '\(name)' has no target" }
            if target.hasPrefix("/") {
                return "symlink '\(name)' -> '\(target)' points outside (absolute path '\(target)')"
            }
            if resolveEscapes(from: Array(parts.dropLast()), through: target, links: links) {
                return "symlink '\(name)' -> '\(target)' points outside (escaping the output)"
            }
        case .hardlink(let target):
            guard isSafeRelative(target), let linked = strip(target, stripComponents) else {
                return "hard link '\(name)' -> '\(target)' points outside"
            }
            let linkedParts = components(linked)
            for end in linkedParts.indices where links[linkedParts[...end].joined(separator: "/")] != nil {
                return "hard link '\(name)' -> '\(target)' points outside (through a symlink)"
            }
            if let earlier {
                switch earlier[linkedParts.joined(separator: "/")] {
                case .file?, .hardlink?: break
                default: return "hard link '\(name)' -> '\(target)' is not to an earlier file of the archive"
                }
            }
        case .special(let what):
            return "member '\(name)' is a \(what); devices, FIFOs and sockets are never extracted"
        case .file, .directory:
            break
        }
        return nil
    }

    /// The archive's symlinks: stripped path → target.
    public static func symlinks(in members: [ArchiveMember], stripComponents: Int) -> [String: String] {
        var links: [String: String] = [:]
        for member in members {
            if case .symlink(let target) = member.kind, let path = strip(member.name, stripComponents) {
                links[path] = target
            }
        }
        return links
    }

    /// Whether following `target` from directory `start` (through the archive's own symlinks, up
    /// to 40 hops) ever climbs above the root. Loops count as escaping.
    public static func resolveEscapes(from start: [String], through target: String, links: [String: String]) -> Bool {
        var resolved = start
        var pending = Array(components(target).reversed())
        var hops = 0
        while let part = pending.popLast() {
            if part == ".." {
                if resolved.isEmpty { return true }
                resolved.removeLast()
                continue
            }
            resolved.append(part)
            if let next = links[resolved.joined(separator: "/")] {
                hops += 1
                if hops > 40 || next.hasPrefix("/") { return true }
                resolved.removeLast()
                pending.append(contentsOf: components(next).reversed())
            }
        }
        return false
    }

    /// `/`-separated (and `\`-separated) components, without empty ones and `.`.
    public static func components(_ path: String) -> [String] {
        path.split(whereSeparator: { $0 == "/" || $0 == "\\" }).map(String.init).filter { $0 != "." }
    }

    /// Drops the first `count` components; nil when nothing is left (the root itself).
    public static func strip(_ path: String, _ count: Int) -> String? {
        let parts = components(path)
        guard parts.count > count else { return nil }
        return parts.dropFirst(count).joined(separator: "/")
    }

    /// A non-empty relative name with no `..` component and no NUL.
    static func isSafeRelative(_ name: String) -> Bool {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.hasPrefix("\\"), !name.contains("\0") else { return false }
        return !components(name).contains("..")
    }
}
