import Foundation
import GSSA

/// `gssa admin prune --older-than AGE [--state …]`: removes old runs' directories and records.
///
/// Only ended runs are pruned (succeeded, failed, cancelled; or those of `states`), and only
/// when they ended before the cut-off; active, waiting and suspended runs are never touched.
/// A sweep's parent is pruned only with all its children, so no parent loses part of its array.
public enum RunPruner {
    /// Prunes and returns the GUIDs removed, sorted.
    public static func prune(olderThan age: TimeInterval, states: Set<SimulationState>?, store: any SimulationStore, now: Date = Date())
        async throws -> [String]
    {
        let ended: Set<SimulationState> = [.succeeded, .failed, .cancelled]
        let chosen = states ?? ended
        if let bad = chosen.first(where: { !ended.contains($0) }) {
            throw GSSAError.client("--state \(bad.rawValue): only ended runs (succeeded, failed, cancelled) are pruned", attribute: "--state")
        }
        guard age.isFinite, age >= 0 else { throw GSSAError.client("--older-than must not be negative", attribute: "--older-than") }
        let cutoff = now.addingTimeInterval(-age)
        let candidates = try await store.records(in: chosen).filter { ($0.finishedAt ?? $0.updatedAt) < cutoff }
        var removed: [String] = []
        for run in candidates {
            if run.isSweepParent {
                let children = try await store.children(owner: run.owner, parent: run.name)
                guard children.allSatisfy({ child in candidates.contains { $0.guid == child.guid } }) else { continue }
            }
            if FileManager.default.fileExists(atPath: run.directory) {
                do {
                    try FileManager.default.removeItem(atPath: run.directory)
                } catch {
                    throw GSSAError.server("cannot remove \(run.directory): \(error.localizedDescription) (pruned so far: \(removed.count))")
                }
            }
            try await store.removeRun(guid: run.guid)
            removed.append(run.name)
        }
        return removed.sorted()
    }

    /// `30d`, `12h`, `90m`, `45s` or plain seconds, as seconds.
    public static func age(_ text: String) throws(GSSAError) -> TimeInterval {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
        var number = text.trimmingCharacters(in: .whitespaces).lowercased()
        var factor = 1.0
        if let last = number.last, let unit = units[last] {
            factor = unit
            number.removeLast()
        }
        guard let value = Double(number), value.isFinite, value >= 0, value * factor < 1e11 else {
            throw GSSAError.client("--older-than '\(text.prefix(32))' is not an age like 30d, 12h, 90m or 45s", attribute: "--older-than")
        }
        return value * factor
    }
}
