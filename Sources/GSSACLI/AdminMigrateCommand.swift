import ArgumentParser
import Foundation
import GSSA
import GSSAServer

/// `gssa admin migrate [--dry-run]`: bring the server database's schema up to this build, or
/// (with `--dry-run`) say what that would change without touching it. The server migrates on
/// start anyway; this lets an operator see and do it before an upgrade restarts the service.
struct AdminMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Migrate the server database to this gssa's schema (--dry-run: report only).")

    @OptionGroup var server: AdminDataOptions
    @Flag(help: "Report the migrations that would run; change nothing.") var dryRun = false
    @OptionGroup var output: OutputOptions

    struct Report: Encodable {
        var database: String
        var dryRun: Bool
        var exists: Bool
        var applied: [String]
        var pending: [String]
        var unknown: [String]
        var migrated: [String]
    }

    func run() async throws {
        let path = try server.databasePath()
        let before = try SQLiteSimulationStore.schemaStatus(path: path)
        var report = Report(
            database: path, dryRun: dryRun, exists: before != nil, applied: before?.applied ?? [],
            pending: before?.pending ?? SQLiteSimulationStore.knownMigrations, unknown: before?.unknown ?? [], migrated: [])
        if let before, !before.unknown.isEmpty {
            // Same refusal as the server's, before anything is printed as if it could proceed.
            _ = try SQLiteSimulationStore(path: path)
        }
        if !dryRun {
            guard before != nil else { throw GSSAError.client("no server database at \(path) (the server creates it on first start)") }
            _ = try SQLiteSimulationStore(path: path)
            let after = try SQLiteSimulationStore.schemaStatus(path: path)
            report.migrated = report.pending.filter { after?.applied.contains($0) ?? false }
            report.applied = after?.applied ?? []
            report.pending = after?.pending ?? []
        }
        if output.json { CLIOutput.printJSON(report); return }
        print("database: \(path)\(report.exists ? "" : " (none yet: the first start creates it)")")
        print("applied:  \(before?.applied.count ?? 0) of \(SQLiteSimulationStore.knownMigrations.count) migrations")
        if dryRun {
            if report.pending.isEmpty {
                print("nothing to do: the schema is current")
            } else {
                print("would apply, in order:")
                for name in report.pending { print("  \(name)") }
            }
        } else if report.migrated.isEmpty {
            print("nothing to do: the schema is current")
        } else {
            print("applied now:")
            for name in report.migrated { print("  \(name)") }
        }
    }
}
