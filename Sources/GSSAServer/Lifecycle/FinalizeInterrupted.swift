import Foundation
import GSSA

/// A finalize that found its run cancelled, cleaned or removed after an await (the actor is
/// free while inputs are pulled and the configuration written, see ``BlockingWork``).
struct FinalizeInterrupted: Error {
    /// The run's record now; nil when it was removed (a never-finalized run that was cleaned).
    var current: SimulationRecord?
    var failure: APIFailure
}

extension SimulationManager {
    /// After an await in finalize: throws ``FinalizeInterrupted`` unless the run is still
    /// `created` and not cleaned, so that nothing is written into a run that was given up.
    func stillOpen(_ record: SimulationRecord) async throws {
        let current = try await store.record(guid: record.guid)
        guard let current, current.state == .created, !current.cleaned else {
            let now = current.map { $0.cleaned ? "cleaned" : $0.state.rawValue } ?? "cleaned"
            throw FinalizeInterrupted(
                current: current,
                failure: APIFailure.conflict("simulation \(record.name) was \(now) while it was being finalized"))
        }
    }

    /// Undoes what an interrupted finalize wrote: its staging area, and the whole directory of
    /// a run that was removed meanwhile (the pull may have re-created it). Its state stays.
    func abandonFinalize(_ record: SimulationRecord, staging: URL, gone: FinalizeInterrupted) async {
        let directory = URL(fileURLWithPath: record.directory)
        let target = gone.current == nil || gone.current?.cleaned == true ? directory : staging
        do {
            try await work.run(.pull, key: record.guid) {
                if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
            }
        } catch {
            logger.error("cannot remove what an interrupted finalize left", metadata: ["guid": "\(record.guid)", "path": "\(target.path)", "error": "\(error)"])
        }
    }

    /// A finalize that failed: the run fails, unless it was cancelled or cleaned meanwhile (that
    /// outcome stands and nothing is written over it).
    func failFinalize(_ record: SimulationRecord, _ failure: APIFailure) async {
        do {
            guard let current = try await store.record(guid: record.guid), current.state == .created, !current.cleaned else { return }
        } catch {
            logger.error("cannot read a run whose finalize failed", metadata: ["guid": "\(record.guid)", "error": "\(error)"])
        }
        await finish(guid: record.guid, outcome: failure.error)
    }
}
