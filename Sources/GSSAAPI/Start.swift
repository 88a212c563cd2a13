import Foundation

extension API {
    /// The optional body of `POST …/start`: how the run is scheduled (project, priority), whether
    /// it is a sweep, and what it waits for.
    ///
    /// `sweep` makes the run the parent of an array: one child per element of the cartesian
    /// product of the values, each a copy of the run with those global parameters overridden in
    /// its own definition. Values are literal strings, in the order given; ranges
    /// (`start:stop:step`) are expanded by the client (``SweepRange``), so a value containing
    /// `:` is never misread. `after` names runs of the same owner that must succeed first
    /// (afterok): until then the run is `waiting`.
    public struct Start: Codable, Sendable, Hashable {
        /// A project the caller belongs to; nil: the caller's first (default) project.
        public var project: String?
        /// 0–100 (users up to 50, admins up to 100); higher goes first under `fairshare`. Default 0.
        public var priority: Int?
        /// `{NAME: [value, …]}`: global parameters to sweep; nil or empty for a single run.
        public var sweep: [String: [String]]?
        /// The order of the swept parameters (JSON `sweep_order`), which decides the children's
        /// numbering (the last varies fastest); absent means by name.
        public var sweepOrder: [String]?
        /// GUIDs of runs that must succeed before this one is queued.
        public var after: [String]?

        /// Creates a start body; nil fields take the server's defaults.
        public init(
            project: String? = nil, priority: Int? = nil, sweep: [String: [String]]? = nil, sweepOrder: [String]? = nil,
            after: [String]? = nil
        ) {
            self.project = project
            self.priority = priority
            self.sweep = sweep
            self.sweepOrder = sweepOrder
            self.after = after
        }

        private enum CodingKeys: String, CodingKey {
            case project, priority, sweep, after
            case sweepOrder = "sweep_order"
        }
    }
}
