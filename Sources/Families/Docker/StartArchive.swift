import Foundation
import GSSA
import GSSAArchive

/// The model that a container runs, packed as `start.tar.gz`.
///
/// An inline definition may begin with a declared-parameters YAML header ended by the exact
/// line `==========ENDPARAMETERS========`; the header becomes `parameters.yml` inside the
/// archive (used by `gosmart.setup(check_declared=True)`), the rest becomes `start.py`.
public struct StartArchive: Sendable, Hashable {
    /// The line that ends an inline definition's declared-parameters header.
    public static let separator = "==========ENDPARAMETERS========"

    /// Files in the archive, in order: name → contents.
    public var files: [(name: String, contents: Data)]

    /// Creates an archive from files, in order.
    public init(files: [(name: String, contents: Data)]) {
        self.files = files
    }

    /// Splits inline text into `parameters.yml` and `start.py`.
    ///
    /// - Parameters:
    ///   - text: The element's text, header (if any) and script.
    ///   - firstLine: The line of the GSSA-XML file where `text` begins. When given,
    ///     `start.py` is preceded by as many empty lines as put its first line there, so the line
    ///     numbers of a Python traceback are those of the XML file the author edits.
    public init(inline text: String, firstLine: Int? = nil) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        func padded(_ script: String, from offset: Int) -> Data {
            guard let firstLine, firstLine > 0 else { return Data(script.utf8) }
            return Data((String(repeating: "\n", count: firstLine - 1 + offset) + script).utf8)
        }
        if let cut = lines.firstIndex(where: { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\r")) == Self.separator }) {
            let header = lines[..<cut].joined(separator: "\n")
            let script = lines[(cut + 1)...].joined(separator: "\n")
            files = [("parameters.yml", Data((header + "\n").utf8)), ("start.py", padded(script, from: cut + 1))]
        } else {
            files = [("start.py", padded(text, from: 0))]
        }
    }

    /// The contents of `start.py`, if the archive has one.
    public var startScript: String? {
        files.first { $0.name == "start.py" }.map { String(decoding: $0.contents, as: UTF8.self) }
    }

    /// The contents of `parameters.yml` (the declared-parameters header), if the archive has one.
    public var declaredParameters: String? {
        files.first { $0.name == "parameters.yml" }.map { String(decoding: $0.contents, as: UTF8.self) }
    }

    /// The gzip-compressed tarball.
    public func tarball() throws(GSSAError) -> Data {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-start-\(UUID().uuidString).tar.gz")
        defer { try? FileManager.default.removeItem(at: url) }
        let writer = try TarGzWriter(url: url)
        for file in files {
            try writer.add(file.name, .file(file.contents, mode: file.name.hasSuffix(".sh") ? 0o755 : 0o644), modified: Date(timeIntervalSince1970: 0))
        }
        try writer.finish()
        do {
            return try Data(contentsOf: url)
        } catch {
            throw GSSAError.server("cannot read back start archive: \(error.localizedDescription)")
        }
    }

    /// Equal when the same names hold the same contents, in the same order.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.files.map(\.name) == rhs.files.map(\.name) && lhs.files.map(\.contents) == rhs.files.map(\.contents)
    }

    /// Hashes the file names, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(files.map(\.name)) }
}
