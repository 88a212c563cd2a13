import Foundation
import GSSACore

/// Request and response bodies of the HTTP API (see `docs/openapi.yaml`).
///
/// They live in `GSSAAPI` (Foundation and `GSSACore` only) so that clients decode the wire
/// format without linking the server's Hummingbird and GRDB.
public enum API {
    /// The answer to `GET /api/v1/api`: which API this server speaks and who it is.
    public struct Version: Codable, Sendable, Hashable {
        /// The API version string the server speaks.
        public var version: String
        /// The server's identity (JSON `server_id`), the same value its runs and events carry.
        public var serverID: String
        private enum CodingKeys: String, CodingKey {
            case version
            case serverID = "server_id"
        }
        /// Creates a version answer.
        public init(version: String, serverID: String) {
            self.version = version
            self.serverID = serverID
        }
    }

    /// The two bundles a run offers: `/results` and `/diagnostic`.
    public enum Bundle: String, Sendable { case results, diagnostic }

    /// The answer to `GET /api/v1/simulations` (`search`).
    public struct SearchResult: Codable, Sendable {
        /// The runs that matched the prefix and filters, visible to the caller.
        public var simulations: [SimulationSummary]
        /// Creates a search answer.
        public init(simulations: [SimulationSummary]) { self.simulations = simulations }
    }

    /// The body of `POST …/files` (`update_files`) and `POST …/request-files` (`request_files`).
    public struct Files: Codable, Sendable {
        /// `{local: remote}`.
        public var files: [String: String]
        /// Creates a file map.
        public init(files: [String: String]) { self.files = files }
    }

    /// The optional body of `POST …/finalize`.
    public struct Finalize: Codable, Sendable {
        /// The client directory prefix: the transferrer's remote root (default `.`).
        public var directory: String?
        /// Creates a finalize body; nil leaves the server's default.
        public init(directory: String? = nil) { self.directory = directory }
    }

    /// The body of `POST /api/v1/admin/prune`.
    public struct Prune: Codable, Sendable, Hashable {
        /// Runs that ended (or, if never started, were created) more than this many seconds ago (JSON `older_than`).
        public var olderThan: Double
        /// Only runs in these end states; nil means every end state (active runs are never pruned).
        public var states: [SimulationState]?
        /// Creates a prune request.
        public init(olderThan: Double, states: [SimulationState]? = nil) {
            self.olderThan = olderThan
            self.states = states
        }
        private enum CodingKeys: String, CodingKey {
            case states
            case olderThan = "older_than"
        }
    }

    /// The answer to `POST /api/v1/admin/prune` and to an archive restore.
    public struct Removed: Codable, Sendable, Hashable {
        /// The GUIDs of the runs concerned, sorted.
        public var simulations: [String]
        /// Creates the answer.
        public init(simulations: [String]) { self.simulations = simulations }
    }

    /// The body of `POST …/results` and `POST …/diagnostic`: push the bundle instead of downloading it.
    public struct Target: Codable, Sendable {
        /// Where the run's transferrer puts the bundle, relative to the client's remote root.
        public var target: String
        /// Creates a push target.
        public init(target: String) { self.target = target }
    }

    /// The answer to a push (`request_files`, `request_results`, `request_diagnostic`).
    public struct Pushed: Codable, Sendable {
        /// `{local: where it went}`.
        public var pushed: [String: String]
        /// Creates a push answer.
        public init(pushed: [String: String]) { self.pushed = pushed }
    }

    /// The answer to `GET …/logs`: the run's captured output.
    public struct Logs: Codable, Sendable {
        /// Standard output; nil when not asked for (`?only=stderr`) or not captured.
        public var stdout: String?
        /// Standard error; nil when not asked for (`?only=stdout`) or not captured.
        public var stderr: String?
        /// Creates a logs answer.
        public init(stdout: String?, stderr: String?) {
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    /// The body of `POST /api/v1/compare`: two definitions (GSSA XML text) to compare conceptually.
    public struct Compare: Codable, Sendable {
        /// The first definition's XML.
        public var left: String
        /// The second definition's XML.
        public var right: String
        /// Creates a compare request.
        public init(left: String, right: String) {
            self.left = left
            self.right = right
        }
    }

    /// The answer to `POST /api/v1/compare`.
    public struct Differences: Codable, Sendable {
        /// True when the two definitions describe the same simulation (`differences` is empty).
        public var equal: Bool
        /// One human-readable line per difference found.
        public var differences: [String]
        /// Creates a compare answer.
        public init(equal: Bool, differences: [String]) {
            self.equal = equal
            self.differences = differences
        }
    }

    /// The answer to `GET …/events`: a run's stored event log.
    public struct Events: Codable, Sendable {
        /// The events in the order they were stored.
        public var events: [Event]
        /// Creates an event-log answer.
        public init(events: [Event]) { self.events = events }
    }

    /// One entry of a run's stored event log, in order.
    public struct Event: Codable, Sendable, Hashable {
        /// Monotonic id assigned by the server's store.
        public var id: Int64?
        /// The client's GUID.
        public var guid: String
        /// `announce`, `status`, `complete`, `fail`.
        public var kind: String
        /// Progress in percent, when the event reported one.
        public var percentage: Double?
        /// The GSSA code (`SUCCESS`, `IN_PROGRESS`, `E_MODEL`…), when the event carried one.
        public var code: String?
        /// The human message, when the event carried one.
        public var message: String?
        /// When the server stored the event.
        public var at: Timestamp

        /// Creates an event entry.
        public init(id: Int64?, guid: String, kind: String, percentage: Double?, code: String?, message: String?, at: Timestamp) {
            self.id = id
            self.guid = guid
            self.kind = kind
            self.percentage = percentage
            self.code = code
            self.message = message
            self.at = at
        }
    }

    /// What a WebSocket client may send: `{"request": "announce"}` or `{"request": "identify"}`.
    public struct EventRequest: Codable, Sendable {
        /// `announce` (one `announce` event per stored run the caller may see) or `identify` (the server's identity and free slots).
        public var request: String
        /// Creates a WebSocket request.
        public init(request: String) { self.request = request }
    }

    /// The answer to `POST /api/v1/admin/families/reload`: what the server now knows.
    public struct Families: Codable, Sendable, Hashable {
        /// Every family's name, sorted.
        public var families: [String]
        /// Folders that looked like families but could not be loaded, with why.
        public var problems: [String]
        /// Creates a reload answer.
        public init(families: [String], problems: [String]) {
            self.families = families
            self.problems = problems
        }
    }

    /// The body of every error response: the typed error, and for an ambiguous prefix the runs it matched.
    public struct ErrorBody: Codable, Sendable {
        /// The GSSA code and message.
        public var error: GSSAError
        /// For a GUID prefix matching more than one run (409): up to ten of the matching names; nil otherwise.
        public var candidates: [String]?
        /// Creates an error body.
        public init(error: GSSAError, candidates: [String]? = nil) {
            self.error = error
            self.candidates = candidates
        }
    }
}
