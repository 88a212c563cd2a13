import ArgumentParser
import Foundation
import GSSA
import GSSAServer
import LaunchProtocol

/// `gssa projects add|list|members|quota … --data DIR`: projects, their members and quotas,
/// in the server's database (as `gssa users`; the server sees a change at its next decision).
struct ProjectsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projects", abstract: "Manage the server's projects, their members and quotas.",
        subcommands: [Add.self, List.self, Members.self, QuotaCommand.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a project, with members (existing users).")

        @Argument(help: "Project name.") var name: String
        @Option(name: .customLong("member"), help: "A user to add (repeatable).") var members: [String] = []
        @OptionGroup var data: UsersCommand.DataOption

        func run() async throws {
            try SimulationManager.checkName(name, field: "project")
            try await data.store().addProject(name, members: members)
            print("added project \(name)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List projects, their members and quotas.")

        @OptionGroup var data: UsersCommand.DataOption
        @OptionGroup var options: OutputOptions

        func run() async throws {
            let projects = try await data.store().projects()
            if options.json { CLIOutput.printJSON(projects); return }
            for project in projects {
                print("\(project.name)\t\(project.members.joined(separator: ","))\t\(QuotaCommand.describe(project.quota))")
            }
        }
    }

    struct Members: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "members", abstract: "Add or remove members of a project.")

        @Argument(help: "Project name.") var name: String
        @Option(help: "A user to add (repeatable).") var add: [String] = []
        @Option(help: "A user to remove (repeatable).") var remove: [String] = []
        @OptionGroup var data: UsersCommand.DataOption

        func run() async throws {
            let store = try data.store()
            try await store.changeMembers(project: name, add: add, remove: remove)
            let project = try await store.projects().first { $0.name == name }
            print("\(name)\t\(project?.members.joined(separator: ",") ?? "")")
        }
    }

    struct QuotaCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "quota",
            abstract: "Set the quota of a project (or with --user, of a user); unset fields are unlimited.")

        @Argument(help: "Project name (a user name with --user).") var name: String
        @Flag(help: "NAME is a user: the quota covers their runs in every project.") var user = false
        @Option(help: "Most runs starting or running at once.") var runs: Int?
        @Option(help: "Most cores held at once.") var cores: Double?
        @Option(help: "Most memory held at once, e.g. 8g.") var memory: String?
        @Option(help: "Most bytes of run directories kept, e.g. 50g.") var storedBytes: String?
        @OptionGroup var data: UsersCommand.DataOption

        func run() async throws {
            func size(_ text: String?, _ option: String) throws(GSSAError) -> Int64? {
                guard let text else { return nil }
                guard let bytes = ByteSize.parse(text) else {
                    throw GSSAError.client("\(option) must be a size such as 512m or 8g, not '\(text.prefix(64))'", attribute: option)
                }
                return bytes
            }
            let quota = Quota(runs: runs, cores: cores, memory: try size(memory, "--memory"),
                              storedBytes: try size(storedBytes, "--stored-bytes"))
            try await data.store().setQuota(user ? .user : .project, name: name, quota)
            print("\(user ? "user" : "project") \(name): \(Self.describe(quota))")
        }

        static func describe(_ quota: Quota?) -> String {
            guard let quota, !quota.isUnlimited else { return "unlimited" }
            var parts: [String] = []
            if let runs = quota.runs { parts.append("\(runs) runs") }
            if let cores = quota.cores { parts.append("\(cores) cores") }
            if let memory = quota.memory { parts.append("\(ByteSize.describe(memory)) memory") }
            if let stored = quota.storedBytes { parts.append("\(ByteSize.describe(stored)) stored") }
            return parts.joined(separator: ", ")
        }
    }
}
