/// Lexical rules for paths inside a start archive.
public enum ArchivePath {
    /// Normalises an archive member name to components: drops `.` and empty components
    /// (`./a//b` is `a/b`). Absolute names and any `..` component are refused.
    public static func normalize(_ path: String) throws(RunnerFailure) -> [String] {
        if path.hasPrefix("/") { throw .client("absolute path '\(path)'") }
        var components: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { throw .client("path '\(path)' contains '..'") }
            components.append(String(part))
        }
        return components
    }
}

/// One member of a start archive, as far as safety checking needs it.
public struct ArchiveMember: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case file
        case directory
        /// A symbolic link with its (unresolved) target.
        case symlink(String)
        /// A hard link to an earlier member.
        case hardlink(String)
        /// Devices, FIFOs, sockets: never extracted.
        case special(String)
    }

    public var path: String
    public var kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }
}

/// Decides whether a whole start archive is safe to extract into the run directory.
///
/// The archive is rejected as a whole (nothing is written) when any member:
/// - is absolute or has a `..` component;
/// - is a symlink whose target, resolved through the archive's other symlinks, leaves the run
///   directory (or is absolute, or loops);
/// - lies beneath a symlink of the archive (writing through links is never allowed);
/// - is a hard link to something that is not an earlier regular file of the archive;
/// - is a device, FIFO or socket, or repeats a non-directory path.
public struct ArchivePlan: Sendable {
    /// Normalised members in archive order; the root entry (`./`) is dropped.
    public private(set) var members: [(components: [String], member: ArchiveMember)] = []

    public init(_ members: [ArchiveMember]) throws(RunnerFailure) {
        var symlinks: [String: String] = [:]
        var files: Set<String> = []
        var seen: [String: ArchiveMember.Kind] = [:]
        var normalized: [(components: [String], member: ArchiveMember)] = []

        func reject(_ member: ArchiveMember, _ why: String) -> RunnerFailure {
            .client("start archive rejected: member '\(member.path)' \(why)")
        }

        for member in members {
            let components: [String]
            do { components = try ArchivePath.normalize(member.path) } catch {
                throw reject(member, member.path.hasPrefix("/") ? "is an absolute path" : "contains '..'")
            }
            if components.isEmpty {
                if case .directory = member.kind { continue }
                throw reject(member, "has an empty name")
            }
            let key = components.joined(separator: "/")
            if let previous = seen[key] {
                if case .directory = previous, case .directory = member.kind { continue }
                throw reject(member, "appears twice")
            }
            seen[key] = member.kind
            switch member.kind {
            case .special(let what):
                throw reject(member, "is a \(what), which start archives may not contain")
            case .symlink(let target):
                if target.isEmpty { throw reject(member, "is a symlink with an empty target") }
                if target.hasPrefix("/") { throw reject(member, "is a symlink to the absolute path '\(target)'") }
                symlinks[key] = target
            case .hardlink(let target):
                guard let targetComponents = try? ArchivePath.normalize(target), !targetComponents.isEmpty,
                    files.contains(targetComponents.joined(separator: "/"))
                else { throw reject(member, "is a hard link to '\(target)', which is not an earlier file of the archive") }
                files.insert(key)
            case .file:
                files.insert(key)
            case .directory:
                break
            }
            normalized.append((components, member))
        }

        // No member (nor hard-link target) may lie beneath a symlink of the archive.
        for (components, member) in normalized where components.count > 1 {
            for depth in 1..<components.count {
                let prefix = components[..<depth].joined(separator: "/")
                if symlinks[prefix] != nil {
                    throw reject(member, "lies beneath the symlink '\(prefix)'")
                }
            }
        }
        // Every symlink must resolve inside the run directory, even through other symlinks.
        for (components, member) in normalized {
            guard case .symlink(let target) = member.kind else { continue }
            let parent = Array(components.dropLast())
            if !Self.resolvesInside(parent: parent, target: target, symlinks: symlinks) {
                throw reject(member, "is a symlink to '\(target)', which leaves the run directory")
            }
        }
        self.members = normalized
    }

    /// Walks `parent/target` component by component, expanding the archive's symlinks, and
    /// reports whether it stays inside the root. Loops (over 40 expansions) count as escapes.
    static func resolvesInside(parent: [String], target: String, symlinks: [String: String]) -> Bool {
        var stack = parent
        var pending = target.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var expansions = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part == "." { continue }
            if part == ".." {
                if stack.isEmpty { return false }
                stack.removeLast()
                continue
            }
            stack.append(part)
            if let link = symlinks[stack.joined(separator: "/")] {
                expansions += 1
                if expansions > 40 || link.hasPrefix("/") { return false }
                stack.removeLast()
                pending = link.split(separator: "/", omittingEmptySubsequences: true).map(String.init) + pending
            }
        }
        return true
    }
}
