// The API's wire types (``SimulationSummary``, ``ServerEvent``, ``API``…) are part of the
// server's interface: whoever imports the server sees them too.
@_exported import GSSAAPI
