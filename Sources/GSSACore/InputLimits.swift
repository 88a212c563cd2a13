// FoundationEssentials only (no ICU), so a fully static executable can link this module.
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Hard bounds on untrusted input, shared by every side that reads it.
///
/// Every reader of hostile bytes (the GSSA-XML parser, the server's routes, the launch
/// daemon's frames) checks against these before doing work proportional to the input, and
/// names the limit in its refusal. They are documented in docs/gssa-xml.md and the OpenAPI spec.
public enum InputLimits {
    /// The largest GSSA-XML or GSSF-XML document accepted, checked before parsing: 16 MiB.
    public static let maximumDefinitionBytes = 16 << 20
    /// The deepest element nesting accepted in an XML document. GSSA-XML needs 5 levels.
    public static let maximumElementDepth = 256
}
