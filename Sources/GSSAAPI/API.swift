import Foundation
import GSSACore

/// Request and response bodies of the HTTP API (see `docs/openapi.yaml`).
///
/// They live in `GSSAAPI` (Foundation and `GSSACore` only) so that clients decode the wire
/// format without linking the server's Hummingbird and GRDB.
public enum API {
    public struct Version: Codable, Sendable, Hashable {
        public var version: String
        public var serverID: String
        private enum CodingKeys: String, CodingKey {
            case version
            case serverID = "server_id"
        }
        public init(version: String, serverID: String) {
            self.version = version
            self.serverID = serverID
        }
    }

    /// The two bundles a run offers: `/results` and `/diagnostic`.
    public enum Bundle: String, Sendable { case results, diagnostic }

    public struct SearchResult: Codable, Sendable {
        public var simulations: [SimulationSummary]
        public init(simulations: [SimulationSummary]) { self.simulations = simulations }
    }

    public struct Files: Codable, Sendable {
        /// `{local: remote}`.
        public var files: [String: String]
        public init(files: [String: String]) { self.files = files }
    }

    public struct Finalize: Codable, Sendable {
        /// The client directory prefix: the transferrer's remote root (default `.`).
        public var directory: String?
        public init(directory: String? = nil) { self.directory = directory }
    }

    public struct Target: Codable, Sendable {
        public var target: String
        public init(target: String) { self.target = target }
    }

    public struct Pushed: Codable, Sendable {
        /// `{local: where it went}`.
        public var pushed: [String: String]
        public init(pushed: [String: String]) { self.pushed = pushed }
    }

    public struct Logs: Codable, Sendable {
        public var stdout: String?
        public var stderr: String?
        public init(stdout: String?, stderr: String?) {
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    public struct Compare: Codable, Sendable {
        public var left: String
        public var right: String
        public init(left: String, right: String) {
            self.left = left
            self.right = right
        }
    }

    public struct Differences: Codable, Sendable {
        public var equal: Bool
        public var differences: [String]
        public init(equal: Bool, differences: [String]) {
            self.equal = equal
            self.differences = differences
        }
    }

    public struct Events: Codable, Sendable {
        public var events: [Event]
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
        public var percentage: Double?
        public var code: String?
        public var message: String?
        public var at: Timestamp

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
        public var request: String
        public init(request: String) { self.request = request }
    }

    /// The answer to `POST /api/v1/admin/families/reload`: what the server now knows.
    public struct Families: Codable, Sendable, Hashable {
        /// Every family's name, sorted.
        public var families: [String]
        /// Folders that looked like families but could not be loaded, with why.
        public var problems: [String]
        public init(families: [String], problems: [String]) {
            self.families = families
            self.problems = problems
        }
    }

    public struct ErrorBody: Codable, Sendable {
        public var error: GSSAError
        public var candidates: [String]?
        public init(error: GSSAError, candidates: [String]? = nil) {
            self.error = error
            self.candidates = candidates
        }
    }
}
