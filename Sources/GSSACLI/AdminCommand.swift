import ArgumentParser
import Foundation
import GSSA
import GSSAServer

/// `gssa admin …`: the server's administration, on its data directory.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Administer the server: usage.", subcommands: [AdminUsageCommand.self])
}
