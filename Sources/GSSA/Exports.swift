// The error taxonomy and path rules live in GSSACore so that small executables (the in-container
// runner, the launch daemon) can use them without FoundationXML; everyone else sees them here.
@_exported import GSSACore
