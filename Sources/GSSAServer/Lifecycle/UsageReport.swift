import Foundation
import GSSA

/// `gssa admin usage`: what each user and project used, from the stored runs.
public enum UsageReport {
    /// Per user and per project, most core-seconds first (then by name): core-seconds and
    /// GiB-seconds from each run's request and its time between start and end (now while it
    /// runs), runs by state, and the bytes of run directories still on disk.
    ///
    /// Reads every run directory's size: call it off any actor.
    public static func make(_ records: [SimulationRecord], since: Date?, defaults: ResourceRequest, now: Date = Date()) -> API.Usage {
        var users: [String: API.UsageEntry] = [:]
        var projects: [String: API.UsageEntry] = [:]
        for record in records {
            var seconds = 0.0
            if let started = record.startedAt {
                seconds = max(0, (record.finishedAt ?? now).timeIntervalSince(started))
            }
            let cores = record.cores ?? defaults.cores
            let memory = Double(record.memory ?? defaults.memory) / Double(1 << 30)
            let stored = record.cleaned ? 0 : directorySize(URL(fileURLWithPath: record.directory))
            for (key, isUser) in [(record.owner, true), (record.project ?? record.owner, false)] {
                var entry = (isUser ? users[key] : projects[key])
                    ?? API.UsageEntry(name: key, coreSeconds: 0, memoryGiBSeconds: 0, runs: [:], storedBytes: 0)
                entry.coreSeconds += seconds * cores
                entry.memoryGiBSeconds += seconds * memory
                entry.runs[record.state.rawValue, default: 0] += 1
                entry.storedBytes += stored
                if isUser { users[key] = entry } else { projects[key] = entry }
            }
        }
        func sorted(_ entries: [String: API.UsageEntry]) -> [API.UsageEntry] {
            entries.values.map { entry in
                var entry = entry
                entry.coreSeconds = (entry.coreSeconds * 1000).rounded() / 1000
                entry.memoryGiBSeconds = (entry.memoryGiBSeconds * 1000).rounded() / 1000
                return entry
            }.sorted { ($1.coreSeconds, $0.name) < ($0.coreSeconds, $1.name) }
        }
        return API.Usage(since: since.map(Timestamp.init), users: sorted(users), projects: sorted(projects))
    }

    /// Bytes of regular files under `url` (symbolic links are not followed); 0 when it is gone.
    static func directorySize(_ url: URL) -> Int64 {
        guard let enumerator = FileManager.default.enumerator(
            at: url, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey], options: [])
        else { return 0 }
        var total: Int64 = 0
        for case let file as URL in enumerator {
            guard let values = try? file.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey]),
                values.isRegularFile == true
            else { continue }
            total += Int64(values.fileSize ?? 0)
        }
        return total
    }
}
