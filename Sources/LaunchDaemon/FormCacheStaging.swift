import ContainerEngine
import Foundation
import GSSACore
import Logging

/// The launch path's use of ``FormCache`` and ``RunnerDigest``: small hooks called from START
/// and from collection, kept here so the run life cycle stays readable.
extension LaunchDaemon {
    /// Container label recording the in-container form-cache directory of a run, so that
    /// collection (also of runs adopted after a restart) knows what to copy out.
    static let formCacheLabel = "gssa.form-cache"

    /// The form cache as configured, or nil when `form_cache_bytes` is 0.
    var formCache: FormCache? {
        guard self.configuration.formCacheBytes > 0 else { return nil }
        return FormCache(
            directory: self.configuration.formCacheDirectory ?? "\(self.configuration.dataRoot)/.gssa-form-cache",
            maxBytes: self.configuration.formCacheBytes, maxEntryBytes: self.configuration.formCacheEntryBytes)
    }

    /// The in-container cache directory for a run of `image`, when caching is on and the image declares one.
    func formCacheDirectory(for image: ImageInfo) -> String? {
        guard self.formCache != nil else { return nil }
        return FormCache.containerDirectory(of: image)
    }

    /// Copies the runner into the container unless the image already carries this very runner.
    func putRunnerIfNeeded(_ containerID: String, image: ImageInfo) async throws {
        let runner = self.configuration.runner
        if RunnerDigest.imageCarries(image, digest: await self.runnerTar.sha256(for: runner)) { return }
        try await self.engine.putArchive(containerID, path: "/", tar: try await self.runnerTar.tar(for: runner))
    }

    /// Stages the caller's cache for this image into the created container. A missing or
    /// unusable cache only costs compilation time, so failures are logged, never fatal.
    func stageFormCache(into containerID: String, owner: UInt32, imageID: String, directory: String?) async {
        guard let directory, let cache = self.formCache else { return }
        do {
            guard let blob = try cache.load(uid: owner, imageID: imageID) else { return }
            try await self.engine.putArchive(containerID, path: FormCache.parent(of: directory), tar: blob)
            self.logger.debug("staged \(blob.count) bytes of compiled forms into \(containerID.prefix(12))")
        } catch {
            self.logger.warning("form cache of uid \(owner) not staged into \(containerID.prefix(12)): \(error)")
        }
    }

    /// After a run that ended on its own, keeps its cache directory as the caller's blob for
    /// the image. Cancelled and timed-out runs keep nothing.
    func keepFormCache(from containerID: String, run: RunRegistry.Run, inspection: ContainerInspection) async {
        guard let directory = inspection.labels[Self.formCacheLabel], FormCache.isPlainAbsolute(directory),
            let cache = self.formCache, !run.cancelled, !run.timedOut
        else { return }
        do {
            if let size = try await cache.store(
                uid: run.owner, imageID: inspection.imageID, containerID: containerID, containerDirectory: directory,
                engine: self.engine)
            {
                self.logger.debug("kept \(size) bytes of compiled forms of run \(run.guid)")
            } else {
                self.logger.info("run \(run.guid): no form cache kept (none, or over form_cache_entry_bytes)")
            }
        } catch {
            self.logger.warning("run \(run.guid): form cache not kept: \(error)")
        }
    }
}
