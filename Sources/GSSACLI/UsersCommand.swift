import ArgumentParser
import Foundation
import GSSA
import GSSAServer

/// `gssa users add NAME [--admin] --data DIR`: creates a user and prints its API token once.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Manage the server's users.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Add a user and print its API token (shown only once).")

        @Argument(help: "User name.") var name: String
        @Flag(help: "The user sees and acts on every run.") var admin = false
        @Option(help: "The server's data directory.") var data: String
        @OptionGroup var options: CommonOptions

        struct Created: Encodable {
            var name: String
            var admin: Bool
            var token: String
        }

        func run() async throws {
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.@".contains($0) }) else {
                throw GSSAError.client("user name '\(name)' may only use letters, digits and - _ . @")
            }
            let directory = URL(fileURLWithPath: data)
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let store = try SQLiteSimulationStore(path: ServerConfiguration(dataDirectory: directory).databasePath)
            let token = APIToken.generate()
            try await store.addUser(UserRecord(name: name, tokenDigest: APIToken.digest(token), admin: admin))
            if options.json {
                CLIOutput.printJSON(Created(name: name, admin: admin, token: token))
            } else {
                print(token)
            }
        }
    }
}
