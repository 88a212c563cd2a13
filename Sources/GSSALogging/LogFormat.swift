import Logging

/// How gssa's services write their logs: to stdout, where journald (or a container runtime)
/// collects them, one record per line.
///
/// `text` is swift-log's stream format for people reading `journalctl`; `json` is one JSON object
/// per line for a log collector, with every metadata value kept as its own field.
public enum LogFormat: String, CaseIterable, Sendable {
    case text
    case json

    /// Installs the process-wide log handler; call once, before the first `Logger` is made.
    /// Records below `level` are dropped.
    public func bootstrap(level: Logger.Level) {
        let format = self
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                switch format {
                case .text: StreamLogHandler.standardOutput(label: label)
                case .json: JSONLogHandler(label: label)
                }
            handler.logLevel = level
            return handler
        }
    }
}
