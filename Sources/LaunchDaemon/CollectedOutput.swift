/// What collecting a run's output brought back.
struct CollectedOutput: Sendable, Hashable {
    /// Bytes extracted into the caller's output directory.
    var bytes: Int64
    /// The runner reported that the kernel's OOM killer stopped the model (its cgroup's
    /// `oom_kill` count grew), and its `exit_status` was replaced by the daemon's wording.
    var runnerSawOOM: Bool
}
