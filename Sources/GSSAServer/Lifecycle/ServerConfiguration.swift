import Foundation
import NIOCore

/// Settings of one server instance, with defaults suited to a single host.
public struct ServerConfiguration: Sendable {
    /// Holds the SQLite database, `runs/` (working directories) and `transfer/` (the `tmp`
    /// transferrer's root).
    public var dataDirectory: URL
    /// Stable identity, shown by `identify`; kept in `<data>/identity`.
    public var serverID: String
    /// Wall-clock limit passed to the daemon for every run (seconds); nil: the daemon's default.
    public var walltime: Double?
    /// Least time between two database writes of one run's status; events are never delayed.
    public var statusPersistInterval: Duration
    /// Bound on every transferrer request.
    public var transferTimeout: TimeAmount
    /// How often the queue pump retries when slots are full.
    public var queuePollInterval: Duration
    /// The API version string (`'A'` + number, as the original's `A0.1`).
    public var apiVersion: String

    public init(
        dataDirectory: URL, serverID: String? = nil, walltime: Double? = nil,
        statusPersistInterval: Duration = .milliseconds(500), transferTimeout: TimeAmount = .seconds(30),
        queuePollInterval: Duration = .milliseconds(500), apiVersion: String = ServerConfiguration.currentAPIVersion
    ) {
        self.dataDirectory = dataDirectory
        self.serverID = serverID ?? Self.loadOrCreateIdentity(in: dataDirectory)
        self.walltime = walltime
        self.statusPersistInterval = statusPersistInterval
        self.transferTimeout = transferTimeout
        self.queuePollInterval = queuePollInterval
        self.apiVersion = apiVersion
    }

    public static let currentAPIVersion = "A1.0"

    public var runsDirectory: URL { dataDirectory.appendingPathComponent("runs") }
    public var transferDirectory: URL { dataDirectory.appendingPathComponent("transfer") }
    public var databasePath: String { dataDirectory.appendingPathComponent("gssa.sqlite3").path }

    /// Reads `<data>/identity`, writing a fresh UUID the first time.
    static func loadOrCreateIdentity(in directory: URL) -> String {
        let file = directory.appendingPathComponent("identity")
        if let data = FileManager.default.contents(atPath: file.path) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { return text }
        }
        let id = UUID().uuidString
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try? Data((id + "\n").utf8).write(to: file)
        return id
    }
}
