import GSSAWire

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

/// Decides whether a whole start archive is safe to extract into the run directory, and in
/// which order its members are written.
///
/// The decision is GSSAWire's ``ArchivePolicy``, the same one that guards uploads and container
/// outputs: the archive is rejected as a whole (nothing is written) when any member breaks it.
public struct ArchivePlan: Sendable {
    /// Normalised members in archive order; the root entry (`./`) and repeated directories are dropped.
    public private(set) var members: [(components: [String], member: ArchiveMember)] = []

    public init(_ members: [ArchiveMember]) throws(RunnerFailure) {
        if let why = ArchivePolicy.refusal(for: members) {
            throw .client("start archive rejected: \(why)")
        }
        var seen: Set<String> = []
        for member in members {
            // The policy refused `..` and absolute names, so normalising cannot fail here.
            guard let components = try? ArchivePath.normalize(member.name), !components.isEmpty,
                seen.insert(components.joined(separator: "/")).inserted
            else { continue }
            self.members.append((components, member))
        }
    }
}
