import Synchronization

/// One libxml2 user at a time in this process.
///
/// libxml2 2.9 is used from two places: ``XMLTreeReader`` (its SAX2 parser) and FoundationXML's
/// `XMLDocument`, which builds and prints the GSSF-XML that families write. Each keeps its own
/// documents and contexts, but libxml2 2.9 keeps process state behind them (the dictionary, the
/// per-thread error state, FoundationXML's own node bookkeeping), and the full suite saw one
/// crash inside libxml2 while both were busy on different threads. A parse or a render takes
/// milliseconds within the input limits, so running them one at a time costs little and takes
/// that interleaving away.
public enum LibXML2Access {
    private static let lock = Mutex(())

    /// Runs `body` while no other libxml2 work runs in this process. `body` must not call back
    /// into ``exclusive(_:)`` (the lock is not recursive).
    public static func exclusive<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        try lock.withLock { _ throws(Failure) -> Result in try body() }
    }
}
