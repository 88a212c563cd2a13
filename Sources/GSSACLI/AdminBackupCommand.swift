import ArgumentParser
import Foundation
import GSSA
import GSSAServer

/// `gssa admin backup --to FILE`: a consistent copy of a server (database by SQLite's online
/// backup API, run directories, users and token digests) while it keeps running.
struct AdminBackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Back up a server (database, runs, users, tokens) while it runs.",
        discussion: "Run it as the server's user (on a package install: runuser -u gssa -- gssa admin backup --to FILE).")

    @OptionGroup var server: AdminDataOptions
    @Option(help: ArgumentHelp("The backup file to write (.tar.gz); it must not exist.", valueName: "file")) var to: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let data = try server.directory()
        let file = URL(fileURLWithPath: to)
        let manifest = try ServerBackup.create(data: data, to: file)
        if output.json { CLIOutput.printJSON(manifest); return }
        print("backed up \(data.path) to \(file.path) (schema: \(manifest.schema.last ?? "empty"))")
    }
}
