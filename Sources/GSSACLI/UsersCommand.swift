import ArgumentParser
import Foundation
import GSSA
import GSSAServer

/// `gssa users add|list|remove|token … --data DIR`: the server's users, in its database.
///
/// These act on the SQLite file directly (the server may be running: it sees a change within
/// two seconds, the life of its token cache).
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Manage the server's users.", subcommands: [Add.self, List.self, Remove.self, Token.self])

    /// The server's data directory, shared by every subcommand.
    struct DataOption: ParsableArguments {
        @Option(help: "The server's data directory.") var data: String

        func store(create: Bool = false) throws -> SQLiteSimulationStore {
            let directory = URL(fileURLWithPath: data)
            let path = ServerConfiguration(dataDirectory: directory).databasePath
            if create {
                do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
                    throw GSSAError.server("cannot create \(data): \(error.localizedDescription)")
                }
            } else if !FileManager.default.fileExists(atPath: path) {
                throw GSSAError.client("no server database at \(path) (is --data the server's data directory?)")
            }
            return try SQLiteSimulationStore(path: path)
        }
    }

    static func checkName(_ name: String) throws(GSSAError) {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.@".contains($0) }) else {
            throw GSSAError.client("user name '\(name.prefix(64))' may only use letters, digits and - _ . @ (1 to 64)")
        }
    }

    struct Created: Encodable {
        var name: String
        var admin: Bool
        var token: String
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Add a user and print its API token (shown only once).")

        @Argument(help: "User name.") var name: String
        @Flag(help: "The user sees and acts on every run.") var admin = false
        @OptionGroup var data: DataOption
        @OptionGroup var options: OutputOptions

        func run() async throws {
            try UsersCommand.checkName(name)
            let store = try data.store(create: true)
            let token = APIToken.generate()
            try await store.addUser(UserRecord(name: name, tokenDigest: APIToken.digest(token), admin: admin))
            if options.json { CLIOutput.printJSON(Created(name: name, admin: admin, token: token)) } else { print(token) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the users (never their tokens).")

        @OptionGroup var data: DataOption
        @OptionGroup var options: OutputOptions

        struct Entry: Encodable {
            var name: String
            var admin: Bool
            var created: Timestamp
        }

        func run() async throws {
            let users = try await data.store().users().map { Entry(name: $0.name, admin: $0.admin, created: Timestamp($0.createdAt)) }
            if options.json { CLIOutput.printJSON(users); return }
            for user in users { print("\(user.name)\t\(user.admin ? "admin" : "user")\t\(user.created)") }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove", abstract: "Remove a user: its token stops working; its runs stay.")

        @Argument(help: "User name.") var name: String
        @OptionGroup var data: DataOption

        func run() async throws {
            guard try await data.store().removeUser(name: name) else { throw GSSAError.client("no user named '\(name.prefix(64))'") }
            print("removed \(name)")
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token", abstract: "Give a user a new API token (printed once); the old one stops working.")

        @Argument(help: "User name.") var name: String
        @OptionGroup var data: DataOption
        @OptionGroup var options: OutputOptions

        func run() async throws {
            let store = try data.store()
            let token = APIToken.generate()
            guard try await store.replaceToken(name: name, digest: APIToken.digest(token)) else {
                throw GSSAError.client("no user named '\(name.prefix(64))'")
            }
            let admin = try await store.users().first { $0.name == name }?.admin ?? false
            if options.json { CLIOutput.printJSON(Created(name: name, admin: admin, token: token)) } else { print(token) }
        }
    }
}
