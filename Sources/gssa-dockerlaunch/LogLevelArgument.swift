import ArgumentParser
import Logging

/// `--log-level` takes exactly swift-log's level names; anything else is refused by the
/// parser with the accepted values listed (never silently `info`).
extension Logger.Level: @retroactive ExpressibleByArgument {}
