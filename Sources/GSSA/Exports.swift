// The error taxonomy and path rules live in GSSACore so that small executables (the in-container
// runner, the launch daemon) can use them without Foundation or libxml2; everyone else sees them here.
@_exported import GSSACore
