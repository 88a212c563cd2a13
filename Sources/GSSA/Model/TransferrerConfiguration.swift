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
    public var port: Int?
    public var keyFile: String?
    public var line: Int?

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

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.kind == rhs.kind && lhs.url == rhs.url && lhs.output == rhs.output
            && lhs.inputLocation == rhs.inputLocation && lhs.host == rhs.host && lhs.port == rhs.port
            && lhs.keyFile == rhs.keyFile
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(url)
        hasher.combine(inputLocation)
    }
}
