import Foundation
import GSSA

extension SimulationManager {
    /// Refuses a new upload (HTTP 413, `E_CLIENT`) while `user`, or their default project, keeps
    /// as many bytes of run directories as its `stored_bytes` quota allows, naming the quota and
    /// the usage. Costs nothing when neither has such a quota.
    func checkStoredBytes(user: UserRecord) async throws {
        let userQuota = try await store.quotas(.user)[user.name]?.storedBytes
        let project = try await store.projects(of: user.name).first ?? user.name
        let projectQuota = try await store.quotas(.project)[project]?.storedBytes
        guard userQuota != nil || projectQuota != nil else { return }
        let records = try await store.search(prefix: "", owner: nil, limit: nil).filter {
            !$0.cleaned && ($0.owner == user.name || ($0.project ?? $0.owner) == project)
        }
        let name = user.name
        let (mine, theirs) = try await work.run(.usage, key: "stored:" + name) { () -> (Int64, Int64) in
            var mine: Int64 = 0, theirs: Int64 = 0
            for record in records {
                let size = UsageReport.directorySize(URL(fileURLWithPath: record.directory))
                if record.owner == name { mine += size }
                if (record.project ?? record.owner) == project { theirs += size }
            }
            return (mine, theirs)
        }
        if let userQuota, mine >= userQuota {
            throw APIFailure(.payloadTooLarge, .client(
                "user \(name) keeps \(mine) bytes of run directories, at its stored_bytes quota of \(userQuota): clean finished runs (gssa clean) or ask an admin to raise it",
                attribute: "stored_bytes"))
        }
        if let projectQuota, theirs >= projectQuota {
            throw APIFailure(.payloadTooLarge, .client(
                "project \(project) keeps \(theirs) bytes of run directories, at its stored_bytes quota of \(projectQuota): clean finished runs (gssa clean) or ask an admin to raise it",
                attribute: "stored_bytes"))
        }
    }
}
