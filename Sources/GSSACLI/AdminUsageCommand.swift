import ArgumentParser
import Foundation
import GSSA
import GSSAServer

/// `gssa admin usage [--since AGE] --data DIR`: per user and per project, most core-seconds
/// first, with memory-seconds, runs by state and stored bytes.
struct AdminUsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage", abstract: "Show what each user and project used (core-seconds, memory, runs, stored bytes).")

    @Option(help: "Only runs created since: an ISO-8601 time or an age like 30m, 2h, 7d.") var since: String?
    @OptionGroup var data: AdminDataOptions
    @OptionGroup var options: OutputOptions

    func run() async throws {
        let since = try self.since.map { try AgeText.instant($0, option: "--since") }
        let records = try await data.store().records(createdSince: since)
        let defaults = SchedulingConfiguration().defaultRequest
        let report = try await BlockingWork().run(.usage, key: "usage") { UsageReport.make(records, since: since, defaults: defaults) }
        if options.json { CLIOutput.printJSON(report); return }
        for (title, entries) in [("user", report.users), ("project", report.projects)] {
            print("\(title)\tcore-seconds\tGiB-seconds\truns\tstored bytes")
            for entry in entries {
                let runs = entry.runs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                print("\(entry.name)\t\(String(format: "%.1f", entry.coreSeconds))\t\(String(format: "%.1f", entry.memoryGiBSeconds))\t\(runs.isEmpty ? "-" : runs)\t\(entry.storedBytes)")
            }
            print("")
        }
    }
}
