import ContainerEngine
import Foundation
import GSSA
import GSSAArchive
import GSSAServer
import GSSAServerTesting
import GSSATestSupport
import Testing
import NIOHTTP1

/// A python-demo definition whose model is `script` (Python, with `P` the parameters), with
/// integer `SETTING_A` and float `SETTING_B`.
func arrayDefinition(_ script: String, a: Int = 1, b: Double = 0.5) -> String {
    """
    <?xml version="1.0" encoding="UTF-8"?>
    <simulationDefinition>
      <parameters>
        <parameter name="SETTING_A" value="\(a)" type="integer"/>
        <parameter name="SETTING_B" value="\(b)" type="float"/>
      </parameters>
      <numericalModel>
        <needles/>
        <regions/>
        <definition family="python-demo"><![CDATA[
    import json
    import os
    import sys
    import time

    import gosmart
    gosmart.setup()
    from gosmart.parameters import P, update

    os.makedirs("output", exist_ok=True)
    \(script)
    ]]></definition>
      </numericalModel>
    </simulationDefinition>
    """
}

/// Sweeps, dependencies, suspend/resume and reschedule against the real launch daemon and dockerd.
@Suite("Arrays, dependencies and suspend on the real daemon", .serialized, .requiresDockerEngine,
       .requiresImages(RealDaemon.image), RealDaemon.requiresRunner)
struct ArrayRunTests {
    @Test("a sweep of 12 on a capacity of 3: every child succeeds and sweep.csv has 12 correct rows")
    func sweepOfTwelve() async throws {
        try await RealDaemon.with(maxContainers: 3) { daemon in
            try await TestServer.withServer(launcher: daemon.launcher, data: daemon.data) { server in
                let guid = "SWEEP-" + UUID().uuidString.prefix(8)
                let script = """
                json.dump({"product": P.SETTING_A * P.SETTING_B, "a": P.SETTING_A, "label": "run"}, open("output/summary.json", "w"))
                update.status("done", 100)
                """
                let finalized = try await server.submit(guid: guid, xml: arrayDefinition(script), token: server.alice)
                #expect(finalized.status == .ok, "\(String(decoding: finalized.body, as: UTF8.self))")
                let values = try SweepRange.values("0.5:2:0.5", field: "--sweep SETTING_B")
                #expect(values == ["0.5", "1", "1.5", "2"])
                let body: [String: Any] = ["sweep": ["SETTING_A": ["1", "2", "3"], "SETTING_B": values],
                                           "sweep_order": ["SETTING_A", "SETTING_B"]]
                let started = try await server.json(.POST, "/api/v1/simulations/\(guid)/start", token: server.alice, body)
                #expect(started.status == .accepted, "\(String(decoding: started.body, as: UTF8.self))")
                let parent = try await server.waitTerminal(guid, token: server.alice, seconds: 600)
                #expect(parent.state == .succeeded, "\(parent.status.message ?? "")")
                #expect(parent.sweep?.size == 12)
                #expect(parent.sweep?.counts["succeeded"] == 12)
                #expect(parent.sweep?.percentage == 100)

                let children = try await server.request(.GET, "/api/v1/simulations?parent=\(guid)", token: server.alice)
                    .decode(API.SearchResult.self).simulations
                #expect(children.count == 12)
                #expect(children.allSatisfy { $0.parent == guid && $0.state == .succeeded })
                #expect(children.first?.guid == "\(guid)-01" && children.first?.sweepValues == ["SETTING_A": "1", "SETTING_B": "0.5"])
                // Every child ran in a container; never more than 3 at once (the daemon refuses the 4th).
                let overlaps = children.map { child in
                    children.filter { other in
                        guard let a = child.started?.date, let b = child.finished?.date,
                            let c = other.started?.date, let d = other.finished?.date else { return false }
                        return c <= a && a < d && b > a
                    }.count
                }
                #expect(overlaps.allSatisfy { $0 <= 3 }, "\(overlaps)")

                let bundle = try await server.request(.GET, "/api/v1/simulations/\(guid)/results", token: server.alice)
                #expect(bundle.status == .ok)
                let url = scratchDirectory("sweep-bundle").appendingPathComponent("results.tar.gz")
                try bundle.body.write(to: url)
                let extracted = scratchDirectory("sweep-extract")
                let names = try TarGzReader.extract(url, into: extracted).map(\.name)
                #expect(names.contains("\(guid)/\(guid)-12/output/run/output/summary.json"), "\(names.filter { $0.hasSuffix("json") })")
                let csv = try String(contentsOf: extracted.appendingPathComponent("\(guid)/sweep.csv"), encoding: .utf8)
                let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
                #expect(rows.first == ["guid", "SETTING_A", "SETTING_B", "state", "code", "a", "label", "product"])
                #expect(rows.count == 13)
                for (index, row) in rows.dropFirst().enumerated() where row.count == 8 {
                    let a = index / 4 + 1
                    let b = Double(index % 4 + 1) * 0.5
                    #expect(row[0] == "\(guid)-\(String(format: "%02d", index + 1))")
                    #expect(Int(row[1]) == a && Double(row[2]) == b)
                    #expect(row[3] == "succeeded" && row[4] == "SUCCESS")
                    #expect(Int(row[5]) == a && row[6] == "run")
                    #expect(Double(row[7]).map { abs($0 - Double(a) * b) < 1e-9 } == true, "\(row)")
                }
            }
        }
    }

    @Test("a chain whose first run fails: the second ends E_CANCELLED naming it")
    func dependencyChain() async throws {
        try await RealDaemon.with { daemon in
            try await TestServer.withServer(launcher: daemon.launcher, data: daemon.data) { server in
                let first = "FIRST-" + UUID().uuidString.prefix(8)
                let second = "SECOND-" + UUID().uuidString.prefix(8)
                try await server.submit(guid: first, xml: arrayDefinition("sys.exit(3)"), token: server.alice)
                try await server.submit(guid: second, xml: arrayDefinition("update.status(\"done\", 100)"), token: server.alice)
                let waiting = try await server.json(.POST, "/api/v1/simulations/\(second)/start", token: server.alice, ["after": [first]])
                #expect(waiting.status == .accepted, "\(String(decoding: waiting.body, as: UTF8.self))")
                let summary = try waiting.decode(SimulationSummary.self)
                #expect(summary.state == .waiting && summary.after == [first])
                // A cycle back to SECOND is refused at submission.
                let cycle = try await server.json(.POST, "/api/v1/simulations/\(first)/start", token: server.alice, ["after": [second]])
                #expect(cycle.status == .badRequest && cycle.errorCode == "E_CLIENT" && cycle.errorMessage.contains("cycle"),
                        "\(cycle.errorMessage)")
                #expect(try await server.start(guid: first, token: server.alice).status == .accepted)
                let failed = try await server.waitTerminal(first, token: server.alice, seconds: 300)
                #expect(failed.state == .failed)
                let cancelled = try await server.waitTerminal(second, token: server.alice, seconds: 60)
                #expect(cancelled.state == .cancelled)
                #expect(cancelled.exitStatus?.code == .cancelled)
                #expect(cancelled.exitStatus?.message == "dependency \(first) failed")
                #expect(cancelled.started == nil, "it never ran")

                // Rescheduling the failed run makes a new run linked both ways.
                let rescheduled = try await server.request(.POST, "/api/v1/simulations/\(first)/reschedule", token: server.alice)
                #expect(rescheduled.status == .accepted, "\(String(decoding: rescheduled.body, as: UTF8.self))")
                let rerun = try rescheduled.decode(SimulationSummary.self)
                #expect(rerun.guid == "\(first)-R1" && rerun.rescheduledFrom == first)
                #expect(try await server.summary(first, token: server.alice).rescheduledAs == rerun.guid)
                let again = try await server.request(.POST, "/api/v1/simulations/\(first)/reschedule", token: server.alice)
                #expect(again.status == .conflict)
                let ended = try await server.waitTerminal(rerun.guid, token: server.alice, seconds: 300)
                #expect(ended.state == .failed, "the same definition fails the same way")
            }
        }
    }

    @Test("suspend/resume: nothing printed while suspended, and the pause does not use the walltime")
    func suspendResume() async throws {
        let walltime = 15.0
        try await RealDaemon.with { daemon in
            try await TestServer.withServer(launcher: daemon.launcher, data: daemon.data, walltime: walltime) { server in
                let guid = "PAUSE-" + UUID().uuidString.prefix(8)
                let script = """
                for i in range(15):
                    print("tick %d %.3f" % (i, time.time()), flush=True)
                    time.sleep(0.2)
                update.status("done", 100)
                """
                try await server.submit(guid: guid, xml: arrayDefinition(script), token: server.alice)
                #expect(try await server.start(guid: guid, token: server.alice).status == .accepted)
                // Running and printing: wait for the third tick.
                let deadline = ContinuousClock.now + .seconds(120)
                while ContinuousClock.now < deadline {
                    let logs = try await server.request(.GET, "/api/v1/simulations/\(guid)/logs?only=stdout", token: server.alice)
                    if logs.status == .ok, let text = try logs.decode(API.Logs.self).stdout, text.contains("tick 2 ") { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                let suspend = try await server.request(.POST, "/api/v1/simulations/\(guid)/suspend", token: server.alice)
                #expect(suspend.status == .ok, "\(String(decoding: suspend.body, as: UTF8.self))")
                let paused = try suspend.decode(SimulationSummary.self)
                #expect(paused.state == .suspended)
                // The container is paused on the engine, and carries the ownership labels.
                let container = try await daemon.engine.inspectContainer(try #require(paused.containerID))
                #expect(container?.status == .paused)
                #expect(container?.labels["author"] == "alice" && container?.labels["project"] == "default"
                        && container?.labels["org"] != nil, "\(container?.labels ?? [:])")
                let pausedAt = Date()
                // Suspended for longer than the whole walltime: the run must survive it.
                while Date().timeIntervalSince(pausedAt) < walltime + 1 {
                    #expect(try await server.summary(guid, token: server.alice).state == .suspended)
                    try await Task.sleep(for: .milliseconds(500))
                }
                let resumedAt = Date()
                let resume = try await server.request(.POST, "/api/v1/simulations/\(guid)/resume", token: server.alice)
                #expect(resume.status == .ok, "\(String(decoding: resume.body, as: UTF8.self))")
                #expect(try resume.decode(SimulationSummary.self).state == .running)
                let ended = try await server.waitTerminal(guid, token: server.alice, seconds: 120)
                #expect(ended.state == .succeeded, "\(ended.exitStatus?.message ?? "")")
                #expect((ended.duration ?? 0) > walltime, "the run lasted longer than its walltime, paused")
                let logs = try await server.request(.GET, "/api/v1/simulations/\(guid)/logs?only=stdout", token: server.alice)
                let ticks = try (logs.decode(API.Logs.self).stdout ?? "").split(separator: "\n").compactMap { line -> Double? in
                    let parts = line.split(separator: " ")
                    return parts.count == 3 && parts[0] == "tick" ? Double(parts[2]) : nil
                }
                #expect(ticks.count == 15)
                // Not one tick while paused (a 0.5 s margin for the pause to take hold).
                let during = ticks.filter { $0 > pausedAt.timeIntervalSince1970 + 0.5 && $0 < resumedAt.timeIntervalSince1970 }
                #expect(during.isEmpty, "\(during)")
            }
        }
    }
}

/// Refusals at submission, on the in-memory launcher: each names the field.
@Suite("Array and dependency refusals")
struct ArrayRefusalTests {
    @Test("a typo'd sweep parameter, an empty list, an over-size sweep, a foreign GUID in after: E_CLIENT naming the field")
    func refusals() async throws {
        let launcher = InMemoryLauncher()
        try await TestServer.withServer(launcher: launcher) { server in
            let guid = "REFUSED-" + UUID().uuidString.prefix(8)
            try await server.submit(guid: guid, xml: arrayDefinition("pass"), token: server.alice)
            let path = "/api/v1/simulations/\(guid)/start"
            let typo = try await server.json(.POST, path, token: server.alice, ["sweep": ["SETTING_AA": ["1", "2"]]])
            #expect(typo.status == .badRequest && typo.errorCode == "E_CLIENT")
            #expect(typo.errorMessage.contains("sweep.SETTING_AA") && typo.errorMessage.contains("SETTING_A"), "\(typo.errorMessage)")
            let empty = try await server.json(.POST, path, token: server.alice, ["sweep": ["SETTING_A": [String]()]])
            #expect(empty.status == .badRequest && empty.errorMessage.contains("sweep.SETTING_A"), "\(empty.errorMessage)")
            let huge = try await server.json(.POST, path, token: server.alice,
                                             ["sweep": ["SETTING_A": (0..<40).map(String.init), "SETTING_B": (0..<40).map(String.init)]])
            #expect(huge.status == .badRequest && huge.errorMessage.contains("1000"), "\(huge.errorMessage)")
            let badValue = try await server.json(.POST, path, token: server.alice, ["sweep": ["SETTING_A": ["1", "one"]]])
            #expect(badValue.status == .badRequest && badValue.errorMessage.contains("sweep.SETTING_A: 'one'"), "\(badValue.errorMessage)")

            let bobs = "BOBS-" + UUID().uuidString.prefix(8)
            try await server.submit(guid: bobs, xml: arrayDefinition("pass"), token: server.bob)
            let foreign = try await server.json(.POST, path, token: server.alice, ["after": [bobs]])
            #expect(foreign.status == .badRequest && foreign.errorCode == "E_CLIENT" && foreign.errorMessage.hasPrefix("after:"),
                    "\(foreign.errorMessage)")
            let unknown = try await server.json(.POST, path, token: server.alice, ["after": ["NO-SUCH-RUN"]])
            #expect(unknown.status == .badRequest && unknown.errorMessage == foreign.errorMessage.replacingOccurrences(of: bobs, with: "NO-SUCH-RUN"))
            let itself = try await server.json(.POST, path, token: server.alice, ["after": [guid]])
            #expect(itself.status == .badRequest && itself.errorMessage.contains("cycle"))
            // Nothing was changed by the refusals.
            #expect(try await server.summary(guid, token: server.alice).state == .finalized)
        }
    }

    @Test("ranges: start:stop:step expands inclusively; an empty range or a zero step is refused naming the argument")
    func ranges() throws {
        #expect(try SweepRange.parse("X=0:1:0.25").values == ["0", "0.25", "0.5", "0.75", "1"])
        #expect(try SweepRange.parse("X=0:1:0.1").values.count == 11)
        #expect(try SweepRange.parse("X=3:1:-1").values == ["3", "2", "1"])
        #expect(try SweepRange.parse("X=a,b,c").values == ["a", "b", "c"])
        for bad in ["X=1:0:1", "X=0:1:0", "X=a,,b", "=1,2", "X", "X=0:1e9:1e-3"] {
            #expect(throws: GSSAError.self, "\(bad)") { try SweepRange.parse(bad) }
            do {
                _ = try SweepRange.parse(bad)
            } catch {
                #expect(error.code == .client && error.message.contains("--sweep"), "\(error.message)")
            }
        }
    }
}

/// The CLI end to end, cancellation of a sweep and the events of the new states, on the in-memory launcher.
@Suite("Arrays through the CLI, cancellation and events")
struct ArrayLifecycleTests {
    @Test("gssa launch --sweep/--after, suspend, resume; cancelling the parent cancels its children and its dependents; events carry waiting and suspended")
    func lifecycle() async throws {
        let launcher = InMemoryLauncher(capacity: 2) { _ in InMemoryLauncher.Script(hold: true) }
        try await TestServer.withServer(launcher: launcher) { server in
            let definition = scratchDirectory("cli-sweep").appendingPathComponent("def.xml")
            try Data(arrayDefinition("pass").utf8).write(to: definition)
            let parent = "CLISWEEP-" + UUID().uuidString.prefix(6)
            let launched = try await ClientCommandTests.gssa(
                ["launch", definition.path, "--guid", parent, "--sweep", "SETTING_A=1:4:1", "--json"], token: server.alice,
                server: server.base)
            #expect(launched.status == 0, "\(launched.stderr)")
            let summary = try JSONDecoder().decode(SimulationSummary.self, from: Data(launched.stdout.utf8))
            #expect(summary.sweep?.size == 4 && summary.sweep?.parameters == ["SETTING_A"])

            let recorder = await EventRecorder.connect(base: server.base, token: server.alice, until: nil)
            let dependent = "AFTER-" + UUID().uuidString.prefix(6)
            let waiting = try await ClientCommandTests.gssa(
                ["launch", definition.path, "--guid", dependent, "--after", parent, "--json"], token: server.alice, server: server.base)
            #expect(waiting.status == 0, "\(waiting.stderr)")
            #expect(try JSONDecoder().decode(SimulationSummary.self, from: Data(waiting.stdout.utf8)).state == .waiting)

            // Two children hold the two slots; suspend and resume the first one.
            let first = "\(parent)-1"
            let deadline = ContinuousClock.now + .seconds(60)
            while try await server.summary(first, token: server.alice).state != .running, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            let suspended = try await ClientCommandTests.gssa(["suspend", first], token: server.alice, server: server.base)
            #expect(suspended.status == 0 && suspended.stdout.contains("\(first): suspended"), "\(suspended.stderr)")
            #expect(try await ClientCommandTests.gssa(["suspend", first], token: server.bob, server: server.base).status != 0,
                    "another user cannot")
            let resumed = try await ClientCommandTests.gssa(["resume", first], token: server.alice, server: server.base)
            #expect(resumed.status == 0 && resumed.stdout.contains("\(first): running"), "\(resumed.stderr)")

            let cancelled = try await ClientCommandTests.gssa(["cancel", parent], token: server.alice, server: server.base)
            #expect(cancelled.status == 0, "\(cancelled.stderr)")
            let children = try await server.request(.GET, "/api/v1/simulations?parent=\(parent)", token: server.alice)
                .decode(API.SearchResult.self).simulations
            #expect(children.map(\.guid) == (1...4).map { "\(parent)-\($0)" })
            #expect(children.allSatisfy { $0.state == .cancelled }, "\(children.map(\.state))")
            let ended = try await server.waitTerminal(dependent, token: server.alice, seconds: 60)
            #expect(ended.state == .cancelled && ended.exitStatus?.message == "dependency \(parent) was cancelled")

            let states = await recorder.events.compactMap { $0.guid == first || $0.guid == dependent ? $0.state : nil }
            #expect(states.contains(.suspended) && states.contains(.waiting), "\(states)")
        }
    }
}

/// Reconciling arrays and dependencies after a server restart (in-memory launcher, real SQLite).
@Suite("Arrays and dependencies across a restart")
struct ArrayRecoveryTests {
    @Test("after a restart, a waiting run whose dependency ended meanwhile is queued, and a sweep whose children all ended settles")
    func restart() async throws {
        let launcher = InMemoryLauncher()
        let dependency = "DEP-" + UUID().uuidString.prefix(6), waiting = "WAIT-" + UUID().uuidString.prefix(6)
        let sweep = "SW-" + UUID().uuidString.prefix(6)
        let (data, users) = try await TestServer.withServer(launcher: launcher) { first in
            for guid in [dependency, waiting, sweep] { try await first.submit(guid: guid, xml: arrayDefinition("pass"), token: first.alice) }
            let started = try await first.json(.POST, "/api/v1/simulations/\(waiting)/start", token: first.alice, ["after": [dependency]])
            #expect(try started.decode(SimulationSummary.self).state == .waiting)
            let swept = try await first.json(.POST, "/api/v1/simulations/\(sweep)/start", token: first.alice, ["sweep": ["SETTING_A": ["1", "2"]]])
            #expect(swept.status == .accepted)
            #expect(try await first.waitTerminal(sweep, token: first.alice).state == .succeeded)
            return (first.data, (first.alice, first.bob, first.admin))
        }
        // While the server is down: the dependency succeeds (as if its run ended unseen), and the
        // sweep's parent is left running, as a crash between its last child's end and its own would.
        let store = try SQLiteSimulationStore(path: ServerConfiguration(dataDirectory: data, serverID: "t").databasePath)
        try await store.update(guid: try await runKey(dependency, in: store)) { $0.state = .succeeded; $0.exitCode = "SUCCESS" }
        try await store.update(guid: try await runKey(sweep, in: store)) { $0.state = .running; $0.exitCode = "IN_PROGRESS" }
        try await TestServer.withServer(launcher: launcher, data: data, users: users) { second in
            #expect(try await second.waitTerminal(waiting, token: second.alice).state == .succeeded)
            let parent = try await second.waitTerminal(sweep, token: second.alice)
            #expect(parent.state == .succeeded && parent.sweep?.counts == ["succeeded": 2])
        }
    }
}
