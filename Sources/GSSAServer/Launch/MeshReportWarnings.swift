import Foundation

/// The `warnings` a host mesher left in `<run>/mesh_report.json` (a minimum dihedral under the
/// quality gate, …), for the run's events and summary.
///
/// Read off the manager's actor (a nonisolated async function), since it is file I/O.
enum MeshReportWarnings {
    /// The report's warnings; empty when there is no report (an uploaded mesh, a mesher that
    /// writes none). A report that cannot be read is itself a warning, never silently ignored.
    static func read(runDirectory: URL) async -> [String] {
        let url = runDirectory.appendingPathComponent("mesh_report.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        } catch {
            return ["the mesh report mesh_report.json could not be read: \(error.localizedDescription)"]
        }
        guard let report = object as? [String: Any] else {
            return ["the mesh report mesh_report.json is not a JSON object"]
        }
        return (report["warnings"] as? [Any] ?? []).compactMap { $0 as? String }
    }
}
