import ArgumentParser
import Foundation
import GSSA
import GSSAServer

/// `gssa admin restore FILE`: bring a backup back into a fresh data directory.
struct AdminRestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore a backup into a fresh server data directory.",
        discussion: """
            The data directory must hold no database yet. Stop the server first and run this as its user \
            (runuser -u gssa -- gssa admin restore FILE), so the restored files are the server's. A backup from an \
            older gssa is migrated forward; one from a newer gssa is refused.
            """)

    @Argument(help: "The backup file (from gssa admin backup).") var file: String
    @OptionGroup var server: AdminDataOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let data = try server.directory()
        let backup = URL(fileURLWithPath: file)
        let manifest = try ServerBackup.restore(from: backup, into: data)
        if output.json { CLIOutput.printJSON(manifest); return }
        print("restored \(backup.path) into \(data.path) (taken \(manifest.created), schema: \(manifest.schema.last ?? "empty"))")
    }
}
