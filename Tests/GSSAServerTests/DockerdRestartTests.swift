import Foundation
import GSSA
import GSSAServer
import GSSATestSupport
import Testing

/// A Docker engine restart under running runs (issue 9, item 5): each affected run ends
/// `E_SERVER` with a reason, none is left hanging. The engine is a private dockerd started by
/// the test (the shared one is never touched), with the image copied in.
@Suite("Docker engine restart (private dockerd, real daemon process)", .serialized, .requiresDockerEngine,
       .requiresImages(RealDaemon.image), .requiresTool("dockerd"),
       .enabled(if: RealParts.inCI || geteuid() == 0, "starting a private dockerd needs root (under CI=true this fails)"))
struct DockerdRestartTests {
    @Test("a dockerd restart ends each running run E_SERVER with a reason; none hangs; later runs work again")
    func engineRestart() async throws {
        let engine = try await PrivateDockerd()
        defer { engine.remove() }
        try engine.load(RealDaemon.image)
        let daemon = try await DaemonProcess(maxContainers: 2, dockerSocket: engine.socket)
        defer { daemon.cleanup() }
        try await TestServer.withServer(launcher: daemon.launcher, data: daemon.data) { server in
            let xml = try TestServer.sleepDefinition(steps: 120, sleep: 0.5)
            let guids = [newGUID(), newGUID()]
            for guid in guids {
                try await server.submit(guid: guid, xml: xml, token: server.alice)
                _ = try await server.start(guid: guid, token: server.alice)
            }
            let running = try await eventually(90) {
                var stepping = 0
                for guid in guids where try await server.summary(guid, token: server.alice).status.message?.hasPrefix("step") == true {
                    stepping += 1
                }
                return stepping == guids.count
            }
            #expect(running, "the runs did not start on the private engine")

            engine.stop()
            try await engine.start()

            for guid in guids {
                let summary = try await server.waitTerminal(guid, token: server.alice, seconds: 120)
                #expect(summary.state == .failed, "\(guid): \(summary.state) \(String(describing: summary.exitStatus))")
                #expect(summary.exitStatus?.code == .server, "\(guid): \(String(describing: summary.exitStatus))")
                #expect(summary.exitStatus?.message.isEmpty == false)
                print("after the engine restart, \(guid): \(summary.exitStatus?.description ?? "no exit status")")
            }
            // The engine is back: a new run goes through.
            let after = newGUID()
            try await server.submit(guid: after, xml: try TestServer.sleepDefinition(steps: 2, sleep: 0.2), token: server.alice)
            _ = try await server.start(guid: after, token: server.alice)
            let summary = try await server.waitTerminal(after, token: server.alice, seconds: 120)
            #expect(summary.state == .succeeded, "\(String(describing: summary.exitStatus))")
            let afterKey = try await runKey(after, in: server.store)
            let gone = await eventually(30) { daemon.containers(guid: afterKey).isEmpty }
            #expect(gone, "containers left: \(daemon.containers(guid: afterKey))")
            // Removing the stopped containers of the killed runs is the daemon's part (its removal
            // fails while the engine is down); reported here, asserted in the daemon's tests.
            var keys: [String] = []
            for guid in guids { keys.append(try await runKey(guid, in: server.store)) }
            print("containers of the killed runs left by the daemon: \(keys.flatMap { daemon.containers(guid: $0) }.count)")
        }
    }
}
