import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the families on SIGHUP, the usual "re-read your configuration" signal of a daemon.
struct FamilyReloadService: Service {
    let manager: SimulationManager

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            await manager.reloadFamilies()
        }
    }
}
