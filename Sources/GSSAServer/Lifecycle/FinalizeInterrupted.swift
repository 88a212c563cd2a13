import Foundation
import GSSA
import Logging

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

    /// After the final store update: throws ``FinalizeInterrupted`` when its guard left the run
    /// alone (cancelled or cleaned between the last check and the update).
    func finalized(_ updated: SimulationRecord?, _ record: SimulationRecord) throws {
        guard let updated, updated.state == .finalized, !updated.cleaned else {
            let now = updated.map { $0.cleaned ? "cleaned" : $0.state.rawValue } ?? "cleaned"
            throw FinalizeInterrupted(
                current: updated, failure: APIFailure.conflict("simulation \(record.name) was \(now) while it was being finalized"))
        }
    }

    /// Undoes what an interrupted finalize wrote: its staging area and the configuration it
    /// wrote (`written`, relative to the run directory), or the whole directory of a run that
    /// was removed or cleaned meanwhile (the pull may have re-created it). The run's state stays.
    func abandonFinalize(_ record: SimulationRecord, staging: URL, written: [String], gone: FinalizeInterrupted) async {
        let directory = URL(fileURLWithPath: record.directory)
        let targets = gone.current == nil || gone.current?.cleaned == true
            ? [directory] : [staging] + written.map { directory.appendingPathComponent($0) }
        do {
            try await work.run(.pull, key: record.guid) {
                for target in targets where FileManager.default.fileExists(atPath: target.path) {
                    try FileManager.default.removeItem(at: target)
                }
            }
        } catch {
            logger.error("cannot remove what an interrupted finalize left", metadata: ["guid": "\(record.guid)", "error": "\(error)"])
        }
    }

    /// Whether a finalize that failed was in fact overtaken by a cancel or clean (whose outcome
    /// then stands: the run is not failed over it). A store that cannot be read says no.
    func interruption(of record: SimulationRecord) async -> FinalizeInterrupted? {
        do {
            try await stillOpen(record)
            return nil
        } catch let gone as FinalizeInterrupted {
            return gone
        } catch {
            logger.error("cannot read a run whose finalize failed", metadata: ["guid": "\(record.guid)", "error": "\(error)"])
            return nil
        }
    }
}
