import Foundation
import GSSA
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
    /// Bounds on what clients upload.
    public var limits: UploadLimits
    /// The most children one sweep may have (`gssa server --max-sweep-size`).
    public var maximumSweepSize: Int
    /// The scheduler, the host's capacity, resource requests, pools and rate limits.
    public var scheduling: SchedulingConfiguration

    public init(
        dataDirectory: URL, serverID: String? = nil, walltime: Double? = nil,
        statusPersistInterval: Duration = .milliseconds(500), transferTimeout: TimeAmount = .seconds(30),
        queuePollInterval: Duration = .milliseconds(500), apiVersion: String = ServerConfiguration.currentAPIVersion,
        limits: UploadLimits = UploadLimits(), maximumSweepSize: Int = 1000,
        scheduling: SchedulingConfiguration = SchedulingConfiguration()
    ) {
        self.maximumSweepSize = maximumSweepSize
        self.scheduling = scheduling
        self.dataDirectory = dataDirectory
        self.serverID = serverID ?? Self.loadOrCreateIdentity(in: dataDirectory)
        self.walltime = walltime
        self.statusPersistInterval = statusPersistInterval
        self.transferTimeout = transferTimeout
        self.queuePollInterval = queuePollInterval
        self.apiVersion = apiVersion
        self.limits = limits
    }

    public static let currentAPIVersion = "A1.0"

    public var runsDirectory: URL { dataDirectory.appendingPathComponent("runs") }
    public var transferDirectory: URL { dataDirectory.appendingPathComponent("transfer") }
    public var databasePath: String { dataDirectory.appendingPathComponent("gssa.sqlite3").path }

    /// The `tmp` transferrer's area of one user, `<data>/transfer/<user>`: what one user pushes
    /// there no other user's run can read. Bytes outside `[A-Za-z0-9_-]` are written `%XX`, so
    /// names map one-to-one and never to `.`, `..` or a path.
    public func transferDirectory(for user: String) -> URL {
        var encoded = ""
        for byte in user.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"):
                encoded.append(Character(Unicode.Scalar(byte)))
            default:
                encoded += String(format: "%%%02X", byte)
            }
        }
        return transferDirectory.appendingPathComponent(encoded.isEmpty ? "%" : encoded)
    }
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

/// What one client may send: refusals are HTTP 413 naming the limit and the `gssa server` flag
/// that raises it.
public struct UploadLimits: Sendable, Hashable {
    /// Largest input archive accepted, as sent (compressed): `--max-upload-bytes`.
    public var maximumUploadBytes: Int64
    /// Largest total size an input archive may expand to: `--max-expanded-bytes`.
    public var maximumExpandedBytes: Int64
    /// Most members an input archive may hold: `--max-archive-entries`.
    public var maximumArchiveEntries: Int
    /// Largest JSON request body (file maps, compare): fixed, as definitions are.
    public var maximumJSONBytes: Int

    public init(
        maximumUploadBytes: Int64 = 256 << 20, maximumExpandedBytes: Int64 = 2 << 30, maximumArchiveEntries: Int = 10_000,
        maximumJSONBytes: Int = 2 * InputLimits.maximumDefinitionBytes + (1 << 20)
    ) {
        self.maximumUploadBytes = maximumUploadBytes
        self.maximumExpandedBytes = maximumExpandedBytes
        self.maximumArchiveEntries = maximumArchiveEntries
        self.maximumJSONBytes = maximumJSONBytes
    }

    /// The largest GSSA-XML definition: the parser's fixed maximum.
    public var maximumDefinitionBytes: Int { InputLimits.maximumDefinitionBytes }
}
