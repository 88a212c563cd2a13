import Foundation
import GSSA

/// The server's CGAL mesher for Docker+CGAL families: `gssa mesh input/settings.xml` in a
/// child process, so a cancel can kill it mid-way (CGAL cannot be interrupted in-process).
///
/// The child writes into `<run>/mesh.tmp`; only a complete mesh is moved to `input/input.msh`
/// and `input/mesh_labelling.yml`, and the scratch directory is removed whatever happens.
public struct GSSAMeshHostMesher: HostMesher {
    /// The `gssa` executable (normally the server's own).
    public var executable: URL
    /// Threads per mesh; the server may mesh several runs at once.
    public var threads: Int?

    public init(executable: URL, threads: Int? = nil) {
        self.executable = executable
        self.threads = threads
    }

    /// The running program's own executable (`/proc/self/exe`), for `gssa server` and `gssa run`.
    public static var ownExecutable: URL {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    }

    /// The scratch directory a mesh is written into before it is moved into `input/`.
    public static func scratch(in runDirectory: URL) -> URL { runDirectory.appendingPathComponent("mesh.tmp") }

    public func mesh(runDirectory: URL, progress: @escaping @Sendable (Double?, String) async -> Void) async throws {
        let fm = FileManager.default
        let input = runDirectory.appendingPathComponent("input")
        let scratch = Self.scratch(in: runDirectory)
        if fm.fileExists(atPath: scratch.path) { try fm.removeItem(at: scratch) }
        try fm.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: scratch) }
        var arguments = ["mesh", input.appendingPathComponent("settings.xml").path, "--out", scratch.path]
        if let threads { arguments += ["--threads", String(threads)] }
        await progress(nil, "Meshing on the host (CGAL)")
        let log = runDirectory.appendingPathComponent("mesher.log")
        let inputPrefix = input.path + "/"
        let status = try await MesherProcess.run(executable: executable, arguments: arguments, log: log) { _, line in
            // The error line becomes the run's outcome, and quality warnings come once, from
            // mesh_report.json, as "Warning: mesh quality: …": neither is also passed on as progress.
            guard Self.errorLine(line) == nil, !line.hasPrefix("warning: ") else { return }
            await progress(nil, "Meshing: \(line.replacingOccurrences(of: inputPrefix, with: ""))")
        }
        try Task.checkCancellation()
        guard status == 0 else {
            let last = (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").last.map(String.init) ?? ""
            // The child's own class: bad input is the client's (E_CLIENT), named as in input/,
            // never by the server's path.
            if let (code, message) = Self.errorLine(last) {
                let shown = message.replacingOccurrences(of: inputPrefix, with: "")
                throw code == .client ? GSSAError.client(shown) : GSSAError(code, "host meshing failed: \(shown)")
            }
            throw GSSAError.server("the host mesher exited with status \(status)\(last.isEmpty ? "" : ": " + last) (see mesher.log in the diagnostic bundle)")
        }
        let produced = try fm.contentsOfDirectory(atPath: scratch.path)
        guard let mesh = produced.filter({ $0.hasSuffix(".msh") }).sorted().first else {
            throw GSSAError.server("the host mesher wrote no .msh file (see mesher.log in the diagnostic bundle)")
        }
        try Self.replace(input.appendingPathComponent("input.msh"), with: scratch.appendingPathComponent(mesh))
        try Self.replace(input.appendingPathComponent("mesh_labelling.yml"), with: scratch.appendingPathComponent("mesh_labelling.yml"))
        var done = "Meshing done"
        let report = scratch.appendingPathComponent("mesh_report.json")
        if fm.fileExists(atPath: report.path) {
            if let object = try? JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any],
                let tetrahedra = object["tetrahedra"] as? Int
            {
                done += ": \(tetrahedra) tetrahedra"
            }
            try Self.replace(runDirectory.appendingPathComponent("mesh_report.json"), with: report)
        }
        await progress(nil, done)
    }

    /// `E_CLIENT: message` (how `gssa` reports a failure) as its code and message.
    static func errorLine(_ line: String) -> (ErrorCode, String)? {
        guard line.hasPrefix("E_"), let colon = line.firstIndex(of: ":"),
            let code = ErrorCode(name: String(line[..<colon]))
        else { return nil }
        return (code, line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }

    private static func replace(_ target: URL, with source: URL) throws {
        let fm = FileManager.default
        guard fm.fileExists(atPath: source.path) else {
            throw GSSAError.server("the host mesher did not write \(source.lastPathComponent)")
        }
        if fm.fileExists(atPath: target.path) { try fm.removeItem(at: target) }
        try fm.moveItem(at: source, to: target)
    }
}
