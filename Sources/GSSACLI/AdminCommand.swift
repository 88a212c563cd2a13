import ArgumentParser

/// `gssa admin …`: operating an installed server — schema migrations, backups, restores and a
/// check of the whole installation. One file per subcommand (`Admin*Command.swift`).
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Operate an installed server: migrate, back up, restore, check.",
        subcommands: [
            AdminMigrateCommand.self, AdminBackupCommand.self, AdminRestoreCommand.self, AdminDoctorCommand.self,
        ])
}
