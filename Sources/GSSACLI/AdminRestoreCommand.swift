import ArgumentParser
import Foundation
import GSSA
import GSSAArchive
import GSSAServer

/// `gssa admin restore FILE`: brings back what `gssa admin backup` or `gssa admin archive` wrote.
///
/// One command for both, told apart by what the file holds: a backup (`gssa-backup.json`) goes
/// into a fresh data directory; a user's archive (`gssa-archive/manifest.json`) goes back into
/// the running server's data, user, tokens and runs included.
struct AdminRestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore a backup (into a fresh data directory) or a user's archive.",
        discussion: """
            A backup (gssa admin backup) needs a data directory with no database yet. Stop the server first and \
            run this as its user (runuser -u gssa -- gssa admin restore FILE), so the restored files are the \
            server's. A backup from an older gssa is migrated forward; one from a newer gssa is refused. \
            A user's archive (gssa admin archive) is restored into the existing data: the user must not exist.
            """)

    @Argument(help: "The backup or archive file.") var file: String
    @Option(help: "Largest total a user's archive may expand to (bytes).") var maxExpandedBytes: Int64 = 64 << 30
    @Option(help: "Most members a user's archive may hold.") var maxArchiveEntries = 10_000_000
    @OptionGroup var server: AdminDataOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let data = try server.directory()
        let url = URL(fileURLWithPath: file)
        let limits = ArchiveLimits(maximumEntries: maxArchiveEntries, maximumExpandedBytes: maxExpandedBytes)
        if try Self.isUserArchive(url, limits: limits) {
            let names = try await RunArchive.restore(from: url, store: try server.store(), data: data, limits: limits)
            AdminCommand.report(names, "restored", json: output.json)
            return
        }
        let manifest = try ServerBackup.restore(from: url, into: data)
        if output.json { CLIOutput.printJSON(manifest); return }
        print("restored \(url.path) into \(data.path) (taken \(manifest.created), schema: \(manifest.schema.last ?? "empty"))")
    }

    /// True when the file is a user's archive (it holds `gssa-archive/manifest.json`). The scan
    /// stops at the archive limits; a file past them without that manifest is taken for a backup,
    /// which ``ServerBackup`` then checks on its own terms.
    static func isUserArchive(_ url: URL, limits: ArchiveLimits) throws(GSSAError) -> Bool {
        try TarGzReader.members(of: url, within: limits).members.contains { Self.isArchiveManifest($0.name) }
    }

    private static func isArchiveManifest(_ name: String) -> Bool {
        name == "gssa-archive/manifest.json" || name == "./gssa-archive/manifest.json"
    }
}
