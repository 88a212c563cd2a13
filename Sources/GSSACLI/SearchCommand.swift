import ArgumentParser
import Foundation
import GSSA
import GSSAAPI
import LaunchProtocol
import NIOHTTP1

/// `gssa search [PREFIX] [--limit N]`: the user's runs, newest first.
struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search", abstract: "List simulations on the server by GUID prefix.")

    @Argument(help: "GUID prefix (empty: all).") var prefix = ""
    @Option(help: "At most this many.") var limit = 10
    @Option(help: "Only this user's runs ('me' for yours, the default; admins may name anyone).") var owner: String?
    @Flag(help: "Every user's runs, with an owner column (admins; a user sees only their own).") var allUsers = false
    @Option(help: "Only runs in this state (repeatable or comma-separated: created, finalized, waiting, queued, starting, running, suspended, succeeded, failed, cancelled).")
    var state: [String] = []
    @Option(help: "Only runs of this family.") var family: String?
    @Option(help: "Only runs created since: an ISO-8601 time or an age like 30m, 2h, 7d.") var since: String?
    @OptionGroup var client: ClientOptions
    @OptionGroup var options: OutputOptions

    func run() async throws {
        var query = "?prefix=\(Self.encode(prefix))&limit=\(limit)"
        if allUsers, owner != nil { throw GSSAError.client("--all-users and --owner exclude each other") }
        if !allUsers { query += "&owner=\(Self.encode(owner ?? "me"))" }
        let states = state.flatMap { $0.split(separator: ",").map(String.init) }
        for name in states where SimulationState(rawValue: name) == nil {
            throw GSSAError.client("--state '\(name)' is not one of \(SimulationState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if !states.isEmpty { query += "&state=\(states.joined(separator: ","))" }
        if let family { query += "&family=\(Self.encode(family))" }
        if let since { query += "&since=\(Self.encode(Timestamp(try AgeText.instant(since, option: "--since")).description))" }
        let result = try await client.client().json(API.SearchResult.self, .GET, "/api/v1/simulations" + query)
        if options.json {
            CLIOutput.printJSON(result)
            return
        }
        for run in result.simulations { print((allUsers ? "\(run.owner)  " : "") + SummaryText.line(run)) }
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? ""
    }
}

/// One-line and detailed text renderings of a run summary.
enum SummaryText {
    static func line(_ run: SimulationSummary) -> String {
        let percentage = run.status.percentage.map { String(format: "%5.1f%%", $0) } ?? "     -"
        let position = run.position.map { " #\($0)" } ?? ""
        return "\(run.guid)  \(run.state.rawValue)\(position)  \(percentage)  \(run.family ?? "-")  \(run.status.message ?? "")"
    }

    static func detail(_ run: SimulationSummary) -> String {
        var lines = [
            "guid:      \(run.guid)",
            "state:     \(run.state.rawValue)" + (run.position.map { " (position \($0) in the queue)" } ?? ""),
            "owner:     \(run.owner)",
            "family:    \(run.family ?? "-")",
            "progress:  \(run.status.percentage.map { String(format: "%.1f%%", $0) } ?? "-") \(run.status.message ?? "")",
        ]
        if let project = run.project { lines.append("project:   \(project)" + (run.priority.map { " (priority \($0))" } ?? "")) }
        if let cores = run.cores, let memory = run.memory {
            lines.append("request:   \(cores) cores, \(ByteSize.describe(memory))" + (run.walltime.map { ", walltime \($0) s" } ?? ""))
        }
        if let reason = run.queueReason { lines.append("waiting:   \(reason)") }
        if let status = run.exitStatus { lines.append("outcome:   \(status.code.name): \(status.message)") }
        lines.append("created:   \(run.created)")
        if let queued = run.queued { lines.append("queued:    \(queued)") }
        if let started = run.started { lines.append("started:   \(started)") }
        if let finished = run.finished { lines.append("finished:  \(finished)") }
        if let duration = run.duration { lines.append("duration:  \(String(format: "%.1f", duration)) s") }
        if let image = run.imageID { lines.append("image:     \(image)") }
        lines.append("directory: \(run.directory)" + (run.cleaned ? " (cleaned)" : ""))
        // Mesh quality and the like: the run may still have succeeded, so the reader must see them.
        for warning in run.warnings ?? [] { lines.append("warning:   \(warning)") }
        return lines.joined(separator: "\n")
    }
}
