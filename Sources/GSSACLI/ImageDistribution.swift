import ArgumentParser
import Foundation
import GSSA

/// Brings gssa's images to the nodes of a swarm, keeping their image IDs (a run records the ID
/// it ran, so every node must hold the very same image): through a private registry
/// (`gssa images push`) or without one (`gssa images distribute`, save once, load on each node).
/// It drives the `docker` CLI, like `images/build.sh`, so the steps are the ones an operator
/// would type.
public struct ImageDistribution: Sendable {
    /// The local engine (`DOCKER_HOST` or the default socket) the images come from.
    public var source: String?

    public init(source: String? = nil) {
        self.source = source
    }

    /// One image as it reached a target.
    public struct Placed: Codable, Sendable, Equatable {
        public var image: String
        public var imageID: String
        /// `HOST:PORT/NAME@sha256:…` for a push, the node's socket for a load.
        public var target: String
        /// What was done: `pushed`, `loaded` or `present`.
        public var state: String
    }

    /// The images to move: those named, else every local `gssa/*:bookworm` image.
    public func images(_ named: [String]) throws(GSSAError) -> [String] {
        if !named.isEmpty { return named }
        let listed = try self.docker(self.source, ["images", "--format", "{{.Repository}}:{{.Tag}}", "gssa/*"])
        let images = listed.split(separator: "\n").map(String.init).filter { $0.hasSuffix(":bookworm") }.sorted()
        guard !images.isEmpty else { throw GSSAError.client("no gssa/*:bookworm image here: build them with `gssa images build all`") }
        return images
    }

    /// The image's ID on `host` (nil: the default engine), or nil when it is not there.
    public func imageID(_ image: String, on host: String?) -> String? {
        (try? self.docker(host, ["image", "inspect", "--format", "{{.Id}}", image]))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Tags each image `REGISTRY/NAME:TAG` and pushes it; returns the digest nodes pull by.
    public func push(_ images: [String], registry: String) throws(GSSAError) -> [Placed] {
        guard Self.isRegistry(registry) else {
            throw GSSAError.client("--registry '\(registry)' is not HOST:PORT", attribute: "registry")
        }
        var placed: [Placed] = []
        for image in images {
            guard let id = self.imageID(image, on: self.source) else { throw GSSAError.client("image \(image) is not here") }
            let remote = "\(registry)/\(image)"
            _ = try self.docker(self.source, ["tag", image, remote])
            _ = try self.docker(self.source, ["push", "--quiet", remote])
            let digests = try self.docker(self.source, ["image", "inspect", "--format", "{{join .RepoDigests \"\\n\"}}", remote])
            let name = remote.split(separator: ":").dropLast().joined(separator: ":")
            let digest = digests.split(separator: "\n").map(String.init).first { $0.hasPrefix(name + "@") } ?? remote
            placed.append(Placed(image: image, imageID: id, target: digest, state: "pushed"))
        }
        return placed
    }

    /// Saves the images once and loads them into every node that lacks them, then checks that
    /// each node holds the same image IDs as the source.
    public func distribute(_ images: [String], nodes: [String]) throws(GSSAError) -> [Placed] {
        guard !nodes.isEmpty else { throw GSSAError.client("--nodes names no node", attribute: "nodes") }
        for node in nodes where !node.hasPrefix("unix:///") && !node.hasPrefix("tcp://") && !node.hasPrefix("ssh://") {
            throw GSSAError.client("node '\(node)' is not a unix:///, tcp:// or ssh:// Docker host", attribute: "nodes")
        }
        var ids: [String: String] = [:]
        for image in images {
            guard let id = self.imageID(image, on: self.source) else { throw GSSAError.client("image \(image) is not here") }
            ids[image] = id
        }
        var placed: [Placed] = []
        let archive = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-images-\(UUID().uuidString).tar")
        defer { try? FileManager.default.removeItem(at: archive) }
        var saved = false
        for node in nodes {
            let missing = images.filter { self.imageID($0, on: node) != ids[$0] }
            for image in images where !missing.contains(image) {
                placed.append(Placed(image: image, imageID: ids[image] ?? "", target: node, state: "present"))
            }
            guard !missing.isEmpty else { continue }
            if !saved {
                _ = try self.docker(self.source, ["save", "-o", archive.path] + images)
                saved = true
            }
            _ = try self.docker(node, ["load", "--quiet", "-i", archive.path])
            for image in missing {
                let loaded = self.imageID(image, on: node)
                guard loaded == ids[image] else {
                    throw GSSAError.server(
                        "node \(node) holds \(image) as \(loaded ?? "nothing") after the load, not \(ids[image] ?? "?")")
                }
                placed.append(Placed(image: image, imageID: ids[image] ?? "", target: node, state: "loaded"))
            }
        }
        return placed
    }

    static func isRegistry(_ text: String) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let port = Int(parts[1]), (1...65535).contains(port), !parts[0].isEmpty else { return false }
        return parts[0].allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }
    }

    /// Runs `docker [-H host] ARGS`; its stdout, or an error with its stderr.
    private func docker(_ host: String?, _ arguments: [String]) throws(GSSAError) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["docker"] + (host.map { ["-H", $0] } ?? []) + arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-docker-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: output.path + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(at: output)
            try? FileManager.default.removeItem(atPath: output.path + ".err")
        }
        do {
            process.standardOutput = try FileHandle(forWritingTo: output)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: output.path + ".err"))
            try process.run()
        } catch {
            throw GSSAError.server("cannot run docker: \(error)")
        }
        process.waitUntilExit()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            let reason = (try? String(contentsOfFile: output.path + ".err", encoding: .utf8)) ?? ""
            throw GSSAError.server(
                "docker \(arguments.prefix(2).joined(separator: " ")) on \(host ?? "the local engine") failed: \(reason.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return text
    }
}

extension ImagesCommand {
    /// `gssa images push --registry HOST:PORT [IMAGE…]`.
    public struct Push: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Push gssa's images to a private registry (e.g. Debian's docker-registry) for the nodes to pull by digest.",
            discussion: "Without IMAGE arguments, every local gssa/*:bookworm image. Prints IMAGE ID REGISTRY/IMAGE@DIGEST.")

        @Option(help: "The registry, HOST:PORT.")
        var registry: String

        @Argument(help: "Images to push (default: every gssa/*:bookworm image here).")
        var images: [String] = []

        @Flag(help: "Print JSON.")
        var json = false

        public init() {}

        public func run() throws {
            let distribution = ImageDistribution()
            let placed = try distribution.push(try distribution.images(self.images), registry: self.registry)
            Self.report(placed, json: self.json)
        }

        static func report(_ placed: [ImageDistribution.Placed], json: Bool) {
            if json {
                CLIOutput.printJSON(placed)
            } else {
                for item in placed { print("\(item.image) \(item.imageID.prefix(19)) \(item.state) \(item.target)") }
            }
        }
    }

    /// `gssa images distribute --nodes HOST,HOST… [IMAGE…]`.
    public struct Distribute: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Load gssa's images into swarm nodes without a registry (docker save once, docker load on each).",
            discussion: """
                Nodes are Docker hosts (unix:///…/docker.sock, tcp://…, ssh://…). Nodes that already hold an image with \
                the same ID are skipped; after loading, every node must hold the very IDs of this host (pinning by image ID).
                """)

        @Option(help: "Comma-separated Docker hosts of the nodes.")
        var nodes: String

        @Argument(help: "Images to distribute (default: every gssa/*:bookworm image here).")
        var images: [String] = []

        @Flag(help: "Print JSON.")
        var json = false

        public init() {}

        public func run() throws {
            let distribution = ImageDistribution()
            let nodes = self.nodes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let placed = try distribution.distribute(try distribution.images(self.images), nodes: nodes)
            Push.report(placed, json: self.json)
        }
    }
}
