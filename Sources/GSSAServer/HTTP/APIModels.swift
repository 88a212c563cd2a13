import Foundation
import GSSA

/// Request and response bodies of the HTTP API (see `docs/openapi.yaml`).
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

    public struct SearchResult: Codable, Sendable {
        public var simulations: [SimulationSummary]
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
    }

    public struct Logs: Codable, Sendable {
        public var stdout: String?
        public var stderr: String?
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
    }

    public struct Events: Codable, Sendable {
        public var events: [StoredEvent]
    }

    /// What a WebSocket client may send: `{"request": "announce"}` or `{"request": "identify"}`.
    public struct EventRequest: Codable, Sendable {
        public var request: String
        public init(request: String) { self.request = request }
    }

    public struct ErrorBody: Codable, Sendable {
        public var error: GSSAError
        public var candidates: [String]?
    }
}
