import ContainerEngine
import Foundation
import GSSACore
import LaunchDaemon
import LaunchProtocol
import Testing

/// `executor: swarm` in dockerlaunch.yml, and the pieces of the swarm executor that need no swarm.
@Suite("Swarm executor configuration")
struct SwarmConfigurationTests {
    let base = "socket: /x\ndata_root: /y\nallowed_images: [gssa/python:bookworm]\nrunner: /r\n"

    @Test func executorDefaultsToLocalAndSwarmNeedsItsSettings() throws {
        #expect(try DaemonConfiguration.parse(yaml: base).executor == .local)
        let swarm = try DaemonConfiguration.parse(
            yaml: base + "executor: swarm\nswarm: {manager: unix:///run/m.sock, shared_root: /srv/gssa-runs}\n")
        #expect(swarm.executor == .swarm)
        #expect(swarm.swarm == DaemonConfiguration.SwarmSettings(manager: "unix:///run/m.sock", sharedRoot: "/srv/gssa-runs"))
        let refusals: [(String, String)] = [
            ("executor: swarm\n", "dl.yml: swarm is required with executor: swarm"),
            ("executor: swarm\nswarm: {manager: tcp://m:2375, shared_root: /s}\n", "dl.yml: swarm.manager must be a unix:///path socket"),
            ("executor: swarm\nswarm: {manager: unix:///m.sock, shared_root: relative}\n", "dl.yml: swarm.shared_root must be an absolute path"),
            ("executor: kubernetes\n", "executor"),
        ]
        for (extra, message) in refusals {
            #expect("\(extra)", performing: { try DaemonConfiguration.parse(yaml: base + extra, file: "dl.yml") }, throws: { error in
                "\(error)".contains(message)
            })
        }
    }

    @Test func aMissingSharedRootOrManagerIsRefusedBeforeAnyRun() async throws {
        await #expect(performing: {
            _ = try await SwarmEngine.connect(manager: "unix:///nonexistent/docker.sock", sharedRoot: "/nonexistent-gssa-root")
        }, throws: { error in
            "\(error)".contains("swarm.shared_root '/nonexistent-gssa-root' is not an existing directory")
        })
        await #expect(performing: {
            _ = try await SwarmEngine.connect(manager: "unix:///nonexistent/docker.sock", sharedRoot: "/tmp")
        }, throws: { error in
            "\(error)".contains("swarm.manager: no Docker engine socket at /nonexistent/docker.sock")
        })
    }

    @Test func usageAndResultCarryTheSwarmFieldsOnlyWhenKnown() throws {
        let local = String(decoding: try JSONEncoder().encode(UsageReply(running: 1, max: 3)), as: UTF8.self)
        #expect(!local.contains("cores") && !local.contains("node"))
        let swarm = try JSONDecoder().decode(
            UsageReply.self, from: Data(#"{"running":1,"max":3,"cores":6,"memory_bytes":1024,"nodes":3}"#.utf8))
        #expect(swarm.cores == 6 && swarm.memoryBytes == 1024 && swarm.nodes == 3)
        var result = RunResult(exitCode: 0)
        result.node = "node-2"
        let decoded = try JSONDecoder().decode(RunResult.self, from: try JSONEncoder().encode(result))
        #expect(decoded.node == "node-2")
    }
}
