/// Where a run is in its life, as the server tracks it.
///
/// The original kept only an exit-code column and left runs "in progress" forever after a
/// restart. Here every run is in exactly one state, and the active ones (``queued``,
/// ``starting``, ``running``, ``suspended``) are reconciled with the launch daemon when the server
/// starts; ``waiting`` runs are re-checked against their dependencies.
public enum SimulationState: String, Codable, Sendable, CaseIterable, Hashable {
    /// `init` or a definition upload happened; nothing is fixed yet.
    case created
    /// Inputs pulled and the family configuration written.
    case finalized
    /// Waiting for the runs it was started `after` to succeed (afterok); not in the queue yet.
    case waiting
    /// Waiting in the FIFO queue for a container slot.
    case queued
    /// Meshing on the host or being staged into a container.
    case starting
    /// The container is running.
    case running
    /// The container is paused (`gssa suspend`): it keeps its container, its walltime clock is stopped.
    case suspended
    /// The run ended with `SUCCESS`.
    case succeeded
    /// The run ended with an error (its `exit_status` says which).
    case failed
    /// A client's `cancel` stopped the run.
    case cancelled

    /// True for the three end states (``succeeded``, ``failed``, ``cancelled``): the run will not change again.
    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .cancelled }
    /// Holds (or is about to hold) a container, or waits in the queue for a slot. A ``waiting``
    /// run is not active: it is not queued until its dependencies succeed.
    public var isActive: Bool { self == .queued || self == .starting || self == .running || self == .suspended }
}
