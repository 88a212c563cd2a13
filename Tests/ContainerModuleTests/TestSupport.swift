import CContainerSupport
import Foundation
import GSSATestSupport
import Testing

@testable import ContainerModule

/// A scratch directory standing in for `/shared`, removed at deinit.
final class SharedRoot {
    let url: URL
    var path: String { url.path }
    var layout: SharedLayout { SharedLayout(root: path) }

    init() throws {
        // Short paths: Unix socket names are limited to 107 bytes.
        url = URL(fileURLWithPath: "/tmp").appendingPathComponent("gssa-ct-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url.appendingPathComponent("input"), withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ relative: String, _ text: String) throws {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
    }

    func read(_ relative: String) throws -> String {
        try String(contentsOf: url.appendingPathComponent(relative), encoding: .utf8)
    }

    func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: url.appendingPathComponent(relative).path)
    }
}

/// Writes tar.gz archives with arbitrary (also malicious) member names, through libarchive.
struct TarBuilder {
    enum Entry {
        case file(String, String, mode: Int32 = 0o644)
        case directory(String)
        case symlink(String, to: String)
        case hardlink(String, to: String)
        case fifo(String)
    }

    static func write(_ entries: [Entry], to path: String) throws {
        guard let archive = archive_write_new() else { throw CocoaError(.fileWriteUnknown) }
        defer { archive_write_free(archive) }
        archive_write_add_filter_gzip(archive)
        archive_write_set_format_pax_restricted(archive)
        guard archive_write_open_filename(archive, path) == ARCHIVE_OK else { throw CocoaError(.fileWriteUnknown) }
        for item in entries {
            let entry = archive_entry_new()!
            defer { archive_entry_free(entry) }
            var body: [UInt8] = []
            switch item {
            case .file(let name, let text, let mode):
                body = Array(text.utf8)
                archive_entry_set_pathname(entry, name)
                archive_entry_set_filetype(entry, 0o100000)
                archive_entry_set_perm(entry, mode_t(mode))
                archive_entry_set_size(entry, la_int64_t(body.count))
            case .directory(let name):
                archive_entry_set_pathname(entry, name)
                archive_entry_set_filetype(entry, 0o040000)
                archive_entry_set_perm(entry, 0o755)
            case .symlink(let name, let target):
                archive_entry_set_pathname(entry, name)
                archive_entry_set_filetype(entry, 0o120000)
                archive_entry_set_symlink(entry, target)
                archive_entry_set_perm(entry, 0o777)
            case .hardlink(let name, let target):
                archive_entry_set_pathname(entry, name)
                archive_entry_set_filetype(entry, 0o100000)
                archive_entry_set_hardlink(entry, target)
                archive_entry_set_perm(entry, 0o644)
            case .fifo(let name):
                archive_entry_set_pathname(entry, name)
                archive_entry_set_filetype(entry, 0o010000)
                archive_entry_set_perm(entry, 0o644)
            }
            archive_write_header(archive, entry)
            if !body.isEmpty { _ = body.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) } }
        }
        archive_write_close(archive)
    }
}

/// Runs a command, returning (exit status, stdout, stderr); waited for off the cooperative pool.
@discardableResult
func sh(_ arguments: [String], input: Data? = nil, environment: [String: String]? = nil) async throws -> (status: Int32, out: String, err: String) {
    try await offPool { try shBlocking(arguments, input: input, environment: environment) }
}

/// The blocking form of ``sh(_:input:environment:)``.
@discardableResult
func shBlocking(_ arguments: [String], input: Data? = nil, environment: [String: String]? = nil) throws -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes concurrently so neither can fill up and block the child.
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}
