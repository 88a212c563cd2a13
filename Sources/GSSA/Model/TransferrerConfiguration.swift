/// The `<transferrer class="…">` block: how a server pulls inputs and pushes results.
public struct TransferrerConfiguration: Sendable, Hashable {
    /// `http`, `tmp` or `sftp`.
    public var kind: String
    /// Base URL for `http`.
    public var url: String?
    /// Output URL for `http` pushes, if given.
    public var output: String?
    /// `tmp`: an input archive (`<input location="…tar.gz"/>`).
    public var inputLocation: String?
    /// `sftp` fields.
    public var host: String?
    /// `sftp`: the server's TCP port (`<port>`, 1–65535); nil for the default.
    public var port: Int?
    /// `sftp`: the private key file to log in with (`<keyFile>`).
    public var keyFile: String?
    /// Line of the element in the source document, for error messages; not part of equality.
    public var line: Int?

    /// Creates a transferrer configuration.
    public init(
        kind: String, url: String? = nil, output: String? = nil, inputLocation: String? = nil,
        host: String? = nil, port: Int? = nil, keyFile: String? = nil, line: Int? = nil
    ) {
        self.kind = kind
        self.url = url
        self.output = output
        self.inputLocation = inputLocation
        self.host = host
        self.port = port
        self.keyFile = keyFile
        self.line = line
    }

    /// Equal when every field but ``line`` is equal.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.kind == rhs.kind && lhs.url == rhs.url && lhs.output == rhs.output
            && lhs.inputLocation == rhs.inputLocation && lhs.host == rhs.host && lhs.port == rhs.port
            && lhs.keyFile == rhs.keyFile
    }

    /// Hashes the kind, URL and input location, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(url)
        hasher.combine(inputLocation)
    }
}
