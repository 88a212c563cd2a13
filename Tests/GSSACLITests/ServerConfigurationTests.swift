import ArgumentParser
import Foundation
import GSSA
@testable import GSSACLI
import GSSALogging
import GSSATestSupport
import Logging
import Testing

/// `gssa server --config FILE`: every option has a key, the command line wins over the file, and
/// a bad key or value is refused at start-up naming the file, the line and the key.
@Suite("Server configuration file")
struct ServerConfigurationTests {
    static func expand(_ yaml: String, _ commandLine: [String] = []) throws(GSSAError) -> [String] {
        try ConfigurationFile.options(fromYAML: yaml, file: "server.yml", keys: ServerCommand.configurationKeys, commandLine: commandLine)
    }

    @Test("every option `gssa server --help` shows has a configuration key (add one line to ServerCommand.configurationKeys)")
    func everyOptionHasAKey() {
        let help = ServerCommand.helpMessage(columns: 400)
        let options = Set(help.matches(of: /--([a-z][a-z0-9-]*)/).map { String($0.output.1) })
        let keys = Set(ServerCommand.configurationKeys.map { String($0.option.dropFirst(2)) })
        let withoutKey = options.subtracting(keys).subtracting(["help", "config", "version"])
        #expect(withoutKey.isEmpty, "options without a configuration key: \(withoutKey.sorted())")
        #expect(options.contains("listen") && options.contains("max-upload-bytes"))
        // And no key stands for an option the command does not have.
        #expect(keys.subtracting(options).isEmpty, "keys without an option: \(keys.subtracting(options).sorted())")
    }

    @Test("keys become options; a key whose option is on the command line is left out")
    func flagsOverrideTheFile() throws {
        let yaml = """
            listen: 0.0.0.0:9000
            data: /srv/gssa
            max_upload_bytes: 64M
            walltime: 120
            families: [/a, /b]
            json: true
            log_format: json
            """
        let options = try Self.expand(yaml)
        #expect(options == [
            "--listen", "0.0.0.0:9000", "--data", "/srv/gssa", "--max-upload-bytes", "64M", "--walltime", "120",
            "--families", "/a", "--families", "/b", "--json", "--log-format", "json",
        ])
        let overridden = try Self.expand(yaml, ["--listen=127.0.0.1:1", "--families", "/c", "--walltime", "5"])
        #expect(!overridden.contains("--listen") && !overridden.contains("--families") && !overridden.contains("--walltime"))
        #expect(overridden.contains("/srv/gssa"))
        // A legacy spelling on the command line overrides its key too.
        #expect(!(try Self.expand("daemon_socket: /x.sock", ["--socket", "/y.sock"])).contains("/x.sock"))
        #expect(try Self.expand("json: false").isEmpty)
        #expect(try Self.expand("").isEmpty)

        // Parsed as the command line would be: the typed option wins.
        let arguments = try Self.expand(yaml, ["--listen", "127.0.0.1:7000"]) + ["--listen", "127.0.0.1:7000"]
        let command = try ServerCommand.parse(arguments)
        #expect(command.listen == "127.0.0.1:7000" && command.data == "/srv/gssa" && command.walltime == 120)
        #expect(command.options.familyFolders == ["/a", "/b"] && command.logFormat == "json")
    }

    @Test("an unknown key or a bad value is refused naming the file, the line and the key", arguments: [
        ("listen: 127.0.0.1:8080\nlisten_port: 80\n", "line 2: unknown key 'listen_port'"),
        ("max_upload_bytes: lots\n", "line 1: max_upload_bytes:"),
        ("max_archive_entries: 0\n", "max_archive_entries: must be an integer of at least 1, not '0'"),
        ("walltime: -3\n", "walltime: must be a positive number, not '-3'"),
        ("mesh_threads: two\n", "mesh_threads: must be an integer"),
        ("listen: nowhere\n", "listen: --listen must be HOST:PORT"),
        ("log_format: xml\n", "log_format: must be one of text, json, not 'xml'"),
        ("json: maybe\n", "json: must be true or false"),
        ("data:\n", "data: has no value"),
        ("data: [a, b]\n", "data: must be a single value, not a list"),
        ("data: /x\ndata: /y\n", "duplicated key(s): 'data'"),
        ("- listen\n", "the configuration must be a mapping"),
        ("listen: [unclosed\n", "not valid YAML"),
    ])
    func refusals(yaml: String, expected: String) {
        do {
            let options = try Self.expand(yaml)
            Issue.record("accepted \(yaml.debugDescription) as \(options)")
        } catch {
            #expect(error.code == .client)
            #expect(error.message.hasPrefix("server.yml"), "\(error.message)")
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test("--config is expanded only for commands that take one, from either spelling")
    func expansionScope() throws {
        let file = scratchDirectory().appendingPathComponent("server.yml")
        try Data("data: /srv/x\nlisten: 127.0.0.1:1234\n".utf8).write(to: file)
        #expect(try ConfigurationFile.expand(["server", "--config", file.path])
            == ["server", "--data", "/srv/x", "--listen", "127.0.0.1:1234", "--config", file.path])
        #expect(try ConfigurationFile.expand(["server", "--config=\(file.path)", "--data", "/d"])
            == ["server", "--listen", "127.0.0.1:1234", "--config=\(file.path)", "--data", "/d"])
        #expect(try ConfigurationFile.expand(["validate", "--config", file.path]) == ["validate", "--config", file.path])
        let missing = try #require(throws: GSSAError.self) { try ConfigurationFile.expand(["server", "--config", "/nonexistent/server.yml"]) }
        #expect(missing.message.contains("/nonexistent/server.yml"))
    }

    @Test("the real binary refuses a bad configuration at start-up with status 2, naming the key")
    func binaryRefusesBadConfiguration() async throws {
        let file = scratchDirectory().appendingPathComponent("server.yml")
        try Data("data: /tmp/never-used\nmax_expanded_bytes: 12Q\n".utf8).write(to: file)
        let result = try await GSSABinary.run(["server", "--config", file.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("E_CLIENT") && result.stderr.contains("line 2: max_expanded_bytes"), "\(result.stderr)")
    }

    @Test("JSON log lines: one object per record with time, level, label, message and metadata")
    func jsonLogLines() throws {
        let lines = LockedLines()
        var logger = Logger(label: "gssa.test") { label in JSONLogHandler(label: label) { lines.append($0) } }
        logger[metadataKey: "run"] = "R1"
        logger.warning("mesh quality", metadata: ["dihedral": "8.1", "message": "clash"])
        let records = lines.all
        #expect(records.count == 1 && records[0].last == UInt8(ascii: "\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: records[0]) as? [String: Any])
        #expect(object["level"] as? String == "warning" && object["label"] as? String == "gssa.test")
        #expect(object["message"] as? String == "mesh quality" && object["run"] as? String == "R1")
        #expect(object["dihedral"] as? String == "8.1" && object["meta.message"] as? String == "clash")
        #expect((object["time"] as? String)?.hasSuffix("Z") == true)
    }
}

/// Collects what a log handler writes (the handler may be called from any thread).
final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [Data] = []
    func append(_ line: Data) { lock.withLock { lines.append(line) } }
    var all: [Data] { lock.withLock { lines } }
}
