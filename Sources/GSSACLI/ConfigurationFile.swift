import Foundation
import GSSA
import Yams

/// `--config FILE` for any command that declares configuration keys: the file's keys become the
/// command's options, placed before the ones typed on the command line, and a key whose option is
/// also typed there is dropped, so the command line always wins.
///
/// Commands register here by name with their key list (today `server`, see
/// `ServerCommand.configurationKeys`); the expansion runs before argument parsing, so every check
/// the command makes of its options holds for values from the file too.
enum ConfigurationFile {
    /// The commands that take `--config`, by the first argument that names them.
    static let commands: [String: [ConfigurationKey]] = ["server": ServerCommand.configurationKeys]

    /// Largest configuration file read (a configuration is a few hundred bytes).
    static let maximumBytes = 1 << 20

    /// `arguments` (without the program name) with the file's options inserted after the
    /// subcommand's name; unchanged when the command takes no configuration or none is given.
    static func expand(_ arguments: [String]) throws(GSSAError) -> [String] {
        guard let command = arguments.first, let keys = commands[command] else { return arguments }
        let rest = Array(arguments.dropFirst())
        guard let path = configPath(in: rest) else { return arguments }
        let text = try read(path)
        return [command] + (try options(fromYAML: text, file: path, keys: keys, commandLine: rest)) + rest
    }

    /// The value of `--config` / `--config=`, if given.
    static func configPath(in arguments: [String]) -> String? {
        var found: String?
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            if argument == "--" { break }
            if argument == "--config", index + 1 < arguments.endIndex {
                found = arguments[index + 1]
                index += 2
                continue
            }
            if argument.hasPrefix("--config=") { found = String(argument.dropFirst("--config=".count)) }
            index += 1
        }
        return found
    }

    static func read(_ path: String) throws(GSSAError) -> String {
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            data = try handle.read(upToCount: maximumBytes + 1) ?? Data()
        } catch {
            throw .client("cannot read the configuration file \(path): \(error.localizedDescription)")
        }
        guard data.count <= maximumBytes else {
            throw .client("\(path): the configuration file is larger than \(maximumBytes) bytes")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw .client("\(path): not UTF-8 text") }
        return text
    }

    /// The options a YAML configuration stands for; keys whose option is in `commandLine` are left out.
    static func options(fromYAML text: String, file: String, keys: [ConfigurationKey], commandLine: [String]) throws(GSSAError)
        -> [String]
    {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw .client("\(file): not valid YAML: \(error)")
        }
        guard let root else { return [] }  // an empty file sets nothing
        guard let mapping = root.mapping else {
            throw .client("\(file): line \(line(of: root)): the configuration must be a mapping of keys to values")
        }
        let known = Dictionary(uniqueKeysWithValues: keys.map { ($0.name, $0) })
        var seen = Set<String>()
        var options: [String] = []
        for (keyNode, value) in mapping {
            let name = keyNode.string ?? ""
            func refuse(_ why: String) -> GSSAError {
                GSSAError.client("\(file): line \(line(of: keyNode)): \(name): \(why)", attribute: name)
            }
            guard let key = known[name] else {
                throw GSSAError.client(
                    "\(file): line \(line(of: keyNode)): unknown key '\(name.prefix(64))' (known: \(keys.map(\.name).joined(separator: ", ")))",
                    attribute: name)
            }
            guard seen.insert(name).inserted else { throw refuse("given twice") }
            let values = try Self.values(of: value, for: key, refuse: refuse)
            if key.isGiven(in: commandLine) { continue }
            if case .flag = key.kind {
                if values == ["true"] { options.append(key.option) }
            } else {
                for value in values { options += [key.option, value] }
            }
        }
        return options
    }

    static func line(of node: Node) -> Int { node.mark?.line ?? 0 }

    /// The option values of one key, checked against its kind.
    static func values(of node: Node, for key: ConfigurationKey, refuse: (String) -> GSSAError) throws(GSSAError) -> [String] {
        if case .list = key.kind {
            if let sequence = node.sequence {
                return try sequence.map { (item: Node) throws(GSSAError) -> String in
                    guard let text = item.scalar?.string, !text.isEmpty else { throw refuse("every item must be a non-empty value") }
                    return text
                }
            }
        }
        guard let scalar = node.scalar else { throw refuse("must be a single value, not a \(node.sequence != nil ? "list" : "mapping")") }
        let text = scalar.string
        guard !(text.isEmpty || text == "~" || text == "null") else { throw refuse("has no value") }
        switch key.kind {
        case .text, .list:
            return [text]
        case .integer(let minimum):
            guard let number = Int(text), number >= minimum else { throw refuse("must be an integer of at least \(minimum), not '\(text)'") }
            return [text]
        case .positiveNumber:
            guard let number = Double(text), number.isFinite, number > 0 else { throw refuse("must be a positive number, not '\(text)'") }
            return [text]
        case .size:
            do { _ = try ServerCommand.parseSize(text, option: key.name) } catch { throw refuse(error.message) }
            return [text]
        case .flag:
            switch text.lowercased() {
            case "true", "yes", "on": return ["true"]
            case "false", "no", "off": return ["false"]
            default: throw refuse("must be true or false, not '\(text)'")
            }
        case .choice(let words):
            guard words.contains(text) else { throw refuse("must be one of \(words.joined(separator: ", ")), not '\(text)'") }
            return [text]
        case .checked(let check):
            do { try check(text) } catch { throw refuse(error.message) }
            return [text]
        }
    }
}
