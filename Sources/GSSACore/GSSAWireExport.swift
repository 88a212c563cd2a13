// GSSACore's clients see the wire formats (ErrorCode, ExitStatus, StatusLine, LineSplitter,
// the archive policy) as part of the taxonomy they always had.
@_exported import GSSAWire
