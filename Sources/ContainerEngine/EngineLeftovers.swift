import Foundation

/// `gssa admin prune-engine`: removes containers gssa made and left behind, by age.
///
/// A container is gssa's only if it carries every one of the ownership labels (`author`, `org`,
/// `project` and the daemon's `gssa.daemon`); anything else on the engine, labelled by someone
/// else or not at all, is never touched. Running and paused containers are left alone too:
/// they belong to live runs (the daemon reaps its own finished ones).
public enum EngineLeftovers {
    /// The labels that mark a container as gssa's.
    public static let ownershipLabels = ["author", "org", "project", "gssa.daemon"]

    /// gssa's stopped containers created before `cutoff`, narrowed to those carrying `matching`
    /// (e.g. one daemon's `gssa.daemon`).
    public static func find(on engine: any ContainerEngine, createdBefore cutoff: Date, matching: [String: String] = [:])
        async throws -> [ContainerSummary]
    {
        try await engine.listContainers(labels: matching, all: true).filter { container in
            ownershipLabels.allSatisfy { container.labels[$0] != nil }
                && !(container.state == .running || container.state == .paused || container.state == .restarting)
                && (container.created.map { $0 < cutoff } ?? false)
        }
    }

    /// Removes what ``find(on:createdBefore:)`` returns; the IDs removed.
    public static func prune(on engine: any ContainerEngine, createdBefore cutoff: Date, matching: [String: String] = [:])
        async throws -> [String]
    {
        var removed: [String] = []
        for container in try await find(on: engine, createdBefore: cutoff, matching: matching) {
            try await engine.removeContainer(container.id, force: false)
            removed.append(container.id)
        }
        return removed
    }
}
