/// The runner's command line: `gssa-container run [--archive start.tar.gz] [--target start.py]
/// [--interpreter "python3"]`.
///
/// Parsed by hand: the runner stays free of dependencies so that its static binary is small.
public struct RunnerOptions: Sendable, Equatable {
    /// Start archive, a file name inside the input directory.
    public var archive: String = "start.tar.gz"
    /// The script (or executable) to run, relative to the run directory.
    public var target: String = "start.py"
    /// Command prefix, split on spaces; empty runs the target itself.
    public var interpreter: [String] = ["python3"]

    public init() {}

    public init(archive: String, target: String, interpreter: [String]) {
        self.archive = archive
        self.target = target
        self.interpreter = interpreter
    }

    public static let usage = """
        usage: gssa-container run [--archive start.tar.gz] [--target start.py] [--interpreter "python3"]
        Environment: GSSA_SHARED_ROOT (default /shared), GSSA_STATUS_SOCKET (default <root>/update.sock).
        """

    /// Parses the arguments after the program name. Accepts `--name value` and `--name=value`.
    public static func parse(_ arguments: [String]) throws(RunnerFailure) -> RunnerOptions {
        guard let command = arguments.first else { throw .client("missing command\n" + usage) }
        guard command == "run" else { throw .client("unknown command '\(command)'\n" + usage) }
        var options = RunnerOptions()
        var rest = arguments.dropFirst()
        while let argument = rest.popFirst() {
            var name = argument
            var value: String?
            if let equals = argument.firstIndex(of: "="), argument.hasPrefix("--") {
                name = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            }
            func next() throws(RunnerFailure) -> String {
                if let value { return value }
                guard let following = rest.popFirst() else { throw .client("option \(name) needs a value") }
                return following
            }
            switch name {
            case "--archive":
                options.archive = try next()
            case "--target":
                options.target = try next()
            case "--interpreter":
                options.interpreter = try next().split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            default:
                throw .client("unknown option '\(argument)'\n" + usage)
            }
        }
        try options.validate()
        return options
    }

    /// The archive is a plain file name and the target stays inside the run directory.
    public func validate() throws(RunnerFailure) {
        if archive.isEmpty || archive.contains("/") || archive == "." || archive == ".." {
            throw .client("--archive must be a file name inside the input directory, not '\(archive)'")
        }
        guard (try? ArchivePath.normalize(target)) != nil, !target.isEmpty else {
            throw .client("--target must be a relative path inside the run directory, not '\(target)'")
        }
    }

    /// The child's argv: interpreter words, then the target (`./target` when run directly).
    public var childArguments: [String] {
        interpreter.isEmpty ? ["./" + target] : interpreter + [target]
    }
}
