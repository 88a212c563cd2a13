import Foundation
import GSSA

extension SimulationManager {
    /// A new run made from `source` (a sweep's child, a reschedule): created as `name` for `user`,
    /// marked by `mark`, charged as `source` is (project, priority), given its definition
    /// (`definition`, or `source`'s own) and inputs, and finalized. When finalizing refuses or
    /// fails, the new run ends with that outcome (a refused one would otherwise stay `created`)
    /// and `finalized` is nil.
    func derive(
        _ name: String, from source: SimulationRecord, definition: Data?, user: UserRecord,
        mark: @escaping @Sendable (inout SimulationRecord) -> Void
    ) async throws -> (run: SimulationRecord, finalized: SimulationRecord?) {
        let run = try await initialize(guid: name, user: user)
        let project = source.project, priority = source.priority
        try await store.update(guid: run.guid) {
            mark(&$0)
            $0.project = project
            $0.priority = priority
        }
        try await copyInputs(from: source, to: run, definition: definition, user: user)
        do {
            return (run, try await finalize(guid: name, remoteDirectory: source.remoteDirectory, user: user))
        } catch {
            await finish(guid: run.guid, outcome: APIFailure.from(error).error)
            return (run, nil)
        }
    }

    /// Gives `target` the definition (`definition`, or `source`'s own) and `source`'s inputs:
    /// its uploaded archive and its `update_files` map.
    func copyInputs(from source: SimulationRecord, to target: SimulationRecord, definition: Data?, user: UserRecord) async throws {
        let xml: Data
        if let definition {
            xml = definition
        } else {
            let url = URL(fileURLWithPath: source.directory).appendingPathComponent("original.xml")
            xml = try await work.run(.writeDefinition, key: target.guid) { () throws -> Data in
                do {
                    return try Data(contentsOf: url)
                } catch {
                    throw GSSAError.server("cannot read the definition of \(source.name): \(error.localizedDescription)")
                }
            }
        }
        try await uploadDefinition(guid: target.name, xml: xml, user: user)
        let archive = Self.uploadedArchive(in: URL(fileURLWithPath: source.directory))
        let copy = Self.uploadedArchive(in: URL(fileURLWithPath: target.directory))
        try await work.run(.writeDefinition, key: target.guid) {
            let fm = FileManager.default
            guard fm.fileExists(atPath: archive.path) else { return }
            do {
                try fm.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
                try fm.copyItem(at: archive, to: copy)
            } catch {
                throw GSSAError.server("cannot copy the input archive of \(source.name): \(error.localizedDescription)")
            }
        }
        let files = source.files
        if !files.isEmpty { try await updateFiles(guid: target.name, files: files, user: user) }
    }
}
