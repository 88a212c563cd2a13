import Foundation

extension API {
    /// The optional body of `POST …/start`: which project the run is charged to and its priority.
    public struct Start: Codable, Sendable, Hashable {
        /// A project the caller belongs to; nil: the caller's first (default) project.
        public var project: String?
        /// 0–100 (users up to 50, admins up to 100); higher goes first under `fairshare`. Default 0.
        public var priority: Int?

        /// Creates a start body; nil fields take the server's defaults.
        public init(project: String? = nil, priority: Int? = nil) {
            self.project = project
            self.priority = priority
        }
    }
}
