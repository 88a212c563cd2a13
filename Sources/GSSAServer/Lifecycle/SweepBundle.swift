import Foundation
import GSSA
import GSSAArchive

/// Builds a sweep parent's results bundle off the actor: each child's results under
/// `PARENT/CHILD/` (`output/`, `original.xml`) and `PARENT/sweep.csv`.
///
/// `sweep.csv` has one row per child: its GUID, its swept values (one column per parameter,
/// in numbering order), its final state and code, then the scalar fields (strings, numbers,
/// booleans) of its `summary.json` (see ``summaryPaths``) when present, one column per field name found in any
/// child, sorted. Fields are quoted as RFC 4180 says when they need it.
enum SweepBundle {
    struct Child: Sendable {
        var name: String
        var directory: URL
        var values: [String: String]
        var state: String
        var code: String
        var cleaned: Bool
    }

    struct Job: Sendable {
        var prefix: String
        var parameters: [String]
        var children: [Child]
    }

    /// Where a child's `summary.json` is looked for: the run's `output/`, then the model's own
    /// `output/` inside the runner's copy of the working directory (`output/run/output/`).
    static let summaryPaths = ["output/summary.json", "output/run/output/summary.json"]

    /// The most bytes of one `summary.json` read for the table.
    static let maximumSummaryBytes = 1 << 20

    static func build(_ job: Job, into partial: URL) throws {
        let fm = FileManager.default
        do {
            let writer = try TarGzWriter(url: partial)
            try writer.add(job.prefix, .directory())
            try writer.add("\(job.prefix)/sweep.csv", .file(Data(csv(job).utf8)))
            for child in job.children where !child.cleaned {
                try writer.add("\(job.prefix)/\(child.name)", .directory())
                let output = child.directory.appendingPathComponent("output")
                if fm.fileExists(atPath: output.path) { try writer.addTree(at: output, as: "\(job.prefix)/\(child.name)/output") }
                let definition = child.directory.appendingPathComponent("original.xml")
                if let data = fm.contents(atPath: definition.path) {
                    try writer.add("\(job.prefix)/\(child.name)/original.xml", .file(data))
                }
            }
            try writer.finish()
        } catch {
            try? fm.removeItem(at: partial)
            throw GSSAError.wrapping(error, as: .server)
        }
    }

    /// The table (see the type's documentation).
    static func csv(_ job: Job) -> String {
        var summaries: [[String: String]] = []
        var fields = Set<String>()
        for child in job.children {
            let scalars = child.cleaned ? [:] : summaryPaths.lazy.map { summaryScalars(child.directory.appendingPathComponent($0)) }
                .first { !$0.isEmpty } ?? [:]
            summaries.append(scalars)
            fields.formUnion(scalars.keys)
        }
        let extra = fields.sorted()
        var lines = [(["guid"] + job.parameters + ["state", "code"] + extra).map(quote).joined(separator: ",")]
        for (child, scalars) in zip(job.children, summaries) {
            let row = [child.name] + job.parameters.map { child.values[$0] ?? "" } + [child.state, child.code]
                + extra.map { scalars[$0] ?? "" }
            lines.append(row.map(quote).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The top-level strings, numbers and booleans of a JSON object file; empty when absent or not an object.
    static func summaryScalars(_ url: URL) -> [String: String] {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return [:] }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: maximumSummaryBytes),
            let object = try? JSONDecoder().decode([String: Scalar].self, from: data)
        else { return [:] }
        return object.compactMapValues(\.text)
    }

    /// One JSON value: its text when it is a scalar, nil for arrays, objects and null.
    struct Scalar: Decodable {
        var text: String?
        init(from decoder: any Decoder) throws {
            let value = try decoder.singleValueContainer()
            if let flag = try? value.decode(Bool.self) {
                text = flag ? "true" : "false"
            } else if let integer = try? value.decode(Int64.self) {
                text = String(integer)
            } else if let number = try? value.decode(Double.self) {
                text = "\(number)"
            } else if let string = try? value.decode(String.self) {
                text = string
            } else {
                text = nil
            }
        }
    }

    static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
