import Synchronization

/// One libxml2 user at a time in this process.
///
/// ``XMLTreeReader`` (libxml2's SAX2 parser) is the only libxml2 user in gssa's processes: GSSF-XML
/// is written from ``LocatedElement`` trees by ``XMLTreeWriter``, not by FoundationXML, whose
/// `XMLDocument` shared libxml2 underneath and freed its nodes whenever Swift released them. The
/// full suite once crashed inside libxml2 (in `xmlDictOwns`, which runs as a node is freed) while
/// both were in use on different threads. libxml2 2.9 keeps process state behind its
/// contexts (the dictionary mutex, per-thread error state), so parses still take turns: each takes
/// milliseconds within the input limits.
public enum LibXML2Access {
    private static let lock = Mutex(())

    /// Runs `body` while no other libxml2 work runs in this process. `body` must not call back
    /// into ``exclusive(_:)`` (the lock is not recursive).
    public static func exclusive<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        try lock.withLock { _ throws(Failure) -> Result in try body() }
    }
}
