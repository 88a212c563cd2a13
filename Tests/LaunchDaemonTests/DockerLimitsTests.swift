import ContainerEngine
import Foundation
import GSSACore
import GSSATestSupport
import LaunchClient
import LaunchDaemon
import LaunchProtocol
import Testing

/// Output quotas and fast cancellation, against the real dockerd with the stand-in runner.
@Suite("Daemon output quota and cancel on dockerd", .serialized, .requiresDockerEngine,
       .requiresImages(DockerFixture.image))
struct DockerLimitsTests {
    @Test func outputOverItsQuotaEndsEModelAndKeepsNothing() async throws {
        try await withDockerDaemon(maxOutputBytes: 4 << 20) { engine, image, daemon in
            let scratch = daemon.scratch
            let big = try shellJob(scratch, "big", image: image, "echo small > small.txt\nhead -c 8388608 /dev/zero > big.bin\n")
            var asked = try shellJob(scratch, "asked", image: image, "head -c 2097152 /dev/zero > two.bin\n")
            asked.maxOutputBytes = 1 << 20
            let fits = try shellJob(scratch, "fits", image: image, "head -c 102400 /dev/zero > small.bin\n")
            try await LaunchClient.withConnection(socket: daemon.socket) { client in
                let over = try await runToExit(client, big).result
                #expect(!over.outputCollected && over.errorCode == "E_MODEL", "\(over)")
                let outcome = over.outcome(output: scratch.root.appendingPathComponent("big/output"))
                #expect(outcome.code == .model && outcome.message == "output exceeds 4 MiB (max_output_bytes in dockerlaunch.yml)", "\(outcome)")
                #expect(tree(scratch.root.appendingPathComponent("big/output")).isEmpty, "nothing partial is kept")

                let lower = try await runToExit(client, asked).result
                #expect(lower.error == "output exceeds 1 MiB (max_output_bytes of this START)", "\(lower)")
                #expect(tree(scratch.root.appendingPathComponent("asked/output")).isEmpty)

                let ok = try await runToExit(client, fits).result
                #expect(ok.outputCollected && ok.error == nil, "\(ok)")
                #expect((try? FileManager.default.attributesOfItem(atPath: scratch.root.appendingPathComponent("fits/output/run/small.bin").path)[.size] as? Int) == 102400)
            }
            // Streamed: no temporary tar anywhere under the data root, no staging directory left.
            #expect(!tree(scratch.root).contains { $0.hasSuffix(".tar") || $0.contains(".gssa-collect") }, "\(tree(scratch.root))")
            #expect(try await engine.listContainers(labels: [LaunchDaemon.Label.daemon: daemon.daemon.configuration.daemonID], all: true).isEmpty)
        }
    }

    @Test func destroyWinsAtAnyMomentOfStart() async throws {
        try await withDockerDaemon { engine, image, daemon in
            let scratch = daemon.scratch
            for (index, delay) in [0.0, 0.05, 0.1, 0.2, 0.5, 1.5].enumerated() {
                let guid = "cancel\(index)"
                let args = try shellJob(scratch, guid, image: image, "sleep 20\necho done > done.txt\n")
                async let started: String = {
                    do {
                        let reply = try await LaunchClient.withConnection(socket: daemon.socket) { try await $0.start(args) }
                        return reply.state.rawValue
                    } catch {
                        return "\(error)"
                    }
                }()
                try await Task.sleep(for: .seconds(delay))
                let (result, seconds) = try await LaunchClient.withConnection(socket: daemon.socket) { client in
                    // The START may not have reached the daemon yet: retry until the run exists (bounded).
                    let deadline = Date().addingTimeInterval(10)
                    while true {
                        let sent = Date()
                        do {
                            let result = try await client.destroy(guid: guid)
                            return (result, Date().timeIntervalSince(sent))
                        } catch let error as GSSAError where error.message.hasPrefix("No such run") && Date() < deadline {
                            try await Task.sleep(for: .milliseconds(10))
                        }
                    }
                }
                let startReply = await started
                print("DESTROY \(Int(delay * 1000)) ms after START: answered in \(String(format: "%.2f", seconds)) s (START said \(startReply))")
                #expect(result.cancelled, "delay \(delay): \(result)")
                #expect(seconds < 3, "delay \(delay): DESTROY took \(seconds) s")
                #expect(result.exitCode != 0, "delay \(delay): the container did not run to its end")
                #expect(try await engine.listContainers(labels: [LaunchDaemon.Label.guid: guid], all: true).isEmpty, "delay \(delay)")
                let output = scratch.root.appendingPathComponent("\(guid)/output")
                #expect(!tree(output).contains { $0.contains("done.txt") || $0.contains(".gssa-collect") }, "delay \(delay): \(tree(output))")
                #expect(result.outcome(output: output).code == .cancelled)
            }
        }
    }
}
