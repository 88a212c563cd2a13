import Foundation
import GSSA

/// One stored run: the row of the `runs` table.
///
/// Unlike the original's `simulations` table, it keeps who owns the run, which family and
/// container it used and the image ID, so cancel, logs and cleanup still work after a
/// server restart.
///
/// GUIDs are namespaced per owner: two users may both have a run called `X`, and nothing a
/// user can do reveals whether another user has one. ``guid`` is therefore the run's internal
/// key (store key, working-directory name, the daemon's name for the run) and never shown to
/// clients; ``name`` is the GUID the client chose, unique per ``owner``.
public struct SimulationRecord: Codable, Sendable, Hashable {
    /// The run's internal key, unique server-wide: a fresh UUID (runs created before owner
    /// namespaces keep their GUID as key).
    public var guid: String
    /// The upper-case GUID the client chose; unique per owner, shown in every API answer.
    public var name: String
    /// Name of the user that created the run.
    public var owner: String
    public var family: String?
    /// Moving to ``SimulationState/starting`` or ``SimulationState/running`` stamps
    /// ``startedAt``; reaching a terminal state stamps ``finishedAt`` (each once).
    public var state: SimulationState {
        didSet {
            guard state != oldValue else { return }
            if state.isTerminal {
                if finishedAt == nil { finishedAt = Date() }
            } else if state == .starting || state == .running {
                if startedAt == nil { startedAt = Date() }
            }
        }
    }
    /// `SUCCESS`, an `E_*` name, or `IN_PROGRESS`; nil until something happened.
    public var exitCode: String?
    public var percentage: Double?
    public var message: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// When the run left the queue (column added by migration v5).
    public var startedAt: Date?
    /// When the run ended (column added by migration v5).
    public var finishedAt: Date?
    /// The working directory (mode 0770) holding `original.xml` and `guid`.
    public var directory: String
    public var containerID: String?
    public var imageID: String?
    /// The client directory prefix given to finalize: the transferrer's remote root.
    public var remoteDirectory: String?
    /// Extra inputs from `update_files`, `{local: remote}`, as JSON.
    public var extraFiles: String?
    /// FIFO key while queued: lower starts first.
    public var queueSequence: Int64?
    /// The working directory was removed by `clean`.
    public var cleaned: Bool
    /// Warnings about the run's inputs, such as a host mesh under the quality gate (stored as JSON).
    public var warnings: [String]?
    /// For a child of a sweep: its parent's ``name`` (same owner). Columns from migration v8 on.
    public var parent: String?
    /// For a child of a sweep: the values it was given, `{NAME: value}` (stored as JSON).
    public var sweepValues: [String: String]?
    /// For the parent of a sweep: how many children it has; nil for every other run.
    public var sweepSize: Int?
    /// For the parent of a sweep: the swept parameters in numbering order (stored as JSON).
    public var sweepParameters: [String]?
    /// Names of the runs (same owner) that must succeed before this one is queued (stored as JSON).
    public var after: [String]?
    /// The name of the run this one re-runs.
    public var rescheduledFrom: String?
    /// The name of the run that re-runs this one.
    public var rescheduledAs: String?

    /// True for the parent of a sweep: it has children and no container of its own.
    public var isSweepParent: Bool { sweepSize != nil }

    /// The project the run is charged to (migration v7; older runs: their owner's name).
    public var project: String?
    /// 0–100, given at start; higher goes first under `fairshare`.
    public var priority: Int?
    /// Cores asked for (fixed at finalize).
    public var cores: Double?
    /// Bytes of memory asked for (fixed at finalize).
    public var memory: Int64?
    /// Walltime asked for, in seconds (fixed at finalize); nil: the server's default.
    public var walltime: Double?
    /// When `start` put the run in the queue.
    public var queuedAt: Date?
    /// Why a queued run waits, e.g. `waiting: project liver-lab uses 4 of 4 cores`.
    public var queueReason: String?
    /// The node that ran it, when the launch daemon's executor spans several (swarm); nil otherwise.
    public var node: String? = nil

    public init(
        guid: String, name: String? = nil, owner: String, directory: String, state: SimulationState = .created,
        createdAt: Date = Date()
    ) {
        self.guid = guid
        self.name = name ?? guid
        self.owner = owner
        self.family = nil
        self.state = state
        self.exitCode = nil
        self.percentage = nil
        self.message = nil
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.startedAt = nil
        self.finishedAt = state.isTerminal ? createdAt : nil
        self.directory = directory
        self.containerID = nil
        self.imageID = nil
        self.remoteDirectory = nil
        self.extraFiles = nil
        self.queueSequence = nil
        self.cleaned = false
    }

    /// `update_files` inputs as a dictionary.
    public var files: [String: String] {
        get {
            guard let extraFiles, let data = extraFiles.data(using: .utf8),
                let map = try? JSONDecoder().decode([String: String].self, from: data)
            else { return [:] }
            return map
        }
        set {
            let data = (try? JSONEncoder().encode(newValue)) ?? Data("{}".utf8)
            extraFiles = String(decoding: data, as: UTF8.self)
        }
    }

    /// The GSSA status object for the current exit code, if any.
    public var status: GSSAError? {
        guard let exitCode, let code = ErrorCode(name: exitCode) else { return nil }
        return GSSAError(code, message ?? "")
    }
}
