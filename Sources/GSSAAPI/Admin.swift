import Foundation
import GSSACore

extension API {
    /// One project, as `GET /api/v1/admin/projects` lists it.
    public struct Project: Codable, Sendable, Hashable {
        /// The project's name.
        public var name: String
        /// Its members, in the order they joined.
        public var members: [String]
        /// Its quota; nil when unlimited.
        public var quota: Quota?
        /// Creates a project entry.
        public init(name: String, members: [String], quota: Quota? = nil) {
            self.name = name
            self.members = members
            self.quota = quota
        }
    }

    /// The answer to `GET /api/v1/admin/projects`.
    public struct Projects: Codable, Sendable, Hashable {
        /// Every project, by name.
        public var projects: [Project]
        /// Creates the list.
        public init(projects: [Project]) { self.projects = projects }
    }

    /// The body of `POST /api/v1/admin/projects`: a new project and its first members.
    public struct NewProject: Codable, Sendable, Hashable {
        /// The project's name (letters, digits, `-_.@`, 1 to 64).
        public var name: String
        /// Existing users to add.
        public var members: [String]?
        /// Creates the body.
        public init(name: String, members: [String]? = nil) {
            self.name = name
            self.members = members
        }
    }

    /// The body of `POST /api/v1/admin/projects/{name}/members`.
    public struct Members: Codable, Sendable, Hashable {
        /// Users to add.
        public var add: [String]?
        /// Users to remove.
        public var remove: [String]?
        /// Creates the body.
        public init(add: [String]? = nil, remove: [String]? = nil) {
            self.add = add
            self.remove = remove
        }
    }

    /// One user, as `GET /api/v1/admin/users` lists it (never a token).
    public struct User: Codable, Sendable, Hashable {
        /// The user's name.
        public var name: String
        /// Whether the user sees and acts on every run.
        public var admin: Bool
        /// The projects the user belongs to, the default first.
        public var projects: [String]
        /// The user's own quota; nil when unlimited.
        public var quota: Quota?
        /// Creates a user entry.
        public init(name: String, admin: Bool, projects: [String], quota: Quota? = nil) {
            self.name = name
            self.admin = admin
            self.projects = projects
            self.quota = quota
        }
    }

    /// The answer to `GET /api/v1/admin/users`.
    public struct Users: Codable, Sendable, Hashable {
        /// Every user, by name.
        public var users: [User]
        /// Creates the list.
        public init(users: [User]) { self.users = users }
    }

    /// What one user or project used: the rows of `gssa admin usage`.
    public struct UsageEntry: Codable, Sendable, Hashable {
        /// The user's or project's name.
        public var name: String
        /// Cores × seconds held by its runs (running ones up to now).
        public var coreSeconds: Double
        /// GiB of memory × seconds held by its runs.
        public var memoryGiBSeconds: Double
        /// Runs by state (`succeeded`, `failed`, `cancelled`, and the active ones).
        public var runs: [String: Int]
        /// Bytes of its run directories on the server.
        public var storedBytes: Int64
        /// Creates an entry.
        public init(name: String, coreSeconds: Double, memoryGiBSeconds: Double, runs: [String: Int], storedBytes: Int64) {
            self.name = name
            self.coreSeconds = coreSeconds
            self.memoryGiBSeconds = memoryGiBSeconds
            self.runs = runs
            self.storedBytes = storedBytes
        }
        private enum CodingKeys: String, CodingKey {
            case name, runs
            case coreSeconds = "core_seconds"
            case memoryGiBSeconds = "memory_gib_seconds"
            case storedBytes = "stored_bytes"
        }
    }

    /// The answer to `GET /api/v1/admin/usage`: per user and per project, most core-seconds first.
    public struct Usage: Codable, Sendable, Hashable {
        /// Runs created at or after this time count; nil: every run.
        public var since: Timestamp?
        /// One entry per user.
        public var users: [UsageEntry]
        /// One entry per project.
        public var projects: [UsageEntry]
        /// Creates a usage report.
        public init(since: Timestamp?, users: [UsageEntry], projects: [UsageEntry]) {
            self.since = since
            self.users = users
            self.projects = projects
        }
    }
}
