import ArgumentParser
import Foundation
import GSSA
import GSSAAPI

/// `gssa search [PREFIX] [--limit N]`: the user's runs, newest first.
struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search", abstract: "List simulations on the server by GUID prefix.")

    @Argument(help: "GUID prefix (empty: all).") var prefix = ""
    @Option(help: "At most this many.") var limit = 10
    @OptionGroup var client: ClientOptions
    @OptionGroup var options: OutputOptions

    func run() async throws {
        let query = "?prefix=\(prefix.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&limit=\(limit)"
        let result = try await client.client().json(API.SearchResult.self, .GET, "/api/v1/simulations" + query)
        if options.json {
            CLIOutput.printJSON(result)
            return
        }
        for run in result.simulations { print(SummaryText.line(run)) }
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
        if let status = run.exitStatus { lines.append("outcome:   \(status.code.name): \(status.message)") }
        lines.append("created:   \(run.created)")
        if let started = run.started { lines.append("started:   \(started)") }
        if let finished = run.finished { lines.append("finished:  \(finished)") }
        if let duration = run.duration { lines.append("duration:  \(String(format: "%.1f", duration)) s") }
        if let image = run.imageID { lines.append("image:     \(image)") }
        lines.append("directory: \(run.directory)" + (run.cleaned ? " (cleaned)" : ""))
        return lines.joined(separator: "\n")
    }
}
