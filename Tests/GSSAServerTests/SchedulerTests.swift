import Foundation
import GSSA
import GSSAServer
import Testing

/// The schedulers as pure functions of plain values (in-memory fakes of the queue and the host).
@Suite("Schedulers (unit)")
struct SchedulerTests {
    static let base = Date(timeIntervalSince1970: 1_800_000_000)

    static func run(_ owner: String, _ index: Int, project: String? = nil, family: String? = nil, priority: Int = 0,
                    cores: Double = 1, memory: Int64 = 1 << 30) -> QueuedRun {
        QueuedRun(guid: "\(owner)-\(index)", owner: owner, project: project ?? owner, family: family, priority: priority,
                  request: ResourceRequest(cores: cores, memory: memory), queued: base.addingTimeInterval(Double(index) / 1000),
                  sequence: Int64(index))
    }

    static func host(cores: Double = 2, slots: Int = 30) -> HostCapacity {
        HostCapacity(cores: cores, memory: 64 << 30, freeSlots: slots)
    }

    /// Plays a queue through a host of `cores` cores where every run takes `duration` seconds;
    /// returns the GUIDs in the order they started.
    static func play(_ scheduler: any Scheduler, queue initial: [QueuedRun], cores: Double, duration: Double = 10,
                     halfLife: Double = 86_400) -> [String] {
        var queue = initial
        var running: [(run: QueuedRun, start: Double)] = []
        var finished: [(run: QueuedRun, start: Double, end: Double)] = []
        var order: [String] = []
        var now = 0.0
        while !queue.isEmpty {
            while true {
                var usage = UsageHistory()
                for done in finished {
                    usage.add(owner: done.run.owner, project: done.run.project, coreSeconds: (done.end - done.start) * done.run.request.cores,
                              age: now - done.end, halfLife: halfLife)
                }
                for active in running {
                    usage.add(owner: active.run.owner, project: active.run.project,
                              coreSeconds: max(now - active.start, 1) * active.run.request.cores, age: 0, halfLife: halfLife)
                }
                let snapshot = SchedulingSnapshot(
                    now: base.addingTimeInterval(now), capacity: host(cores: cores),
                    active: running.map { ActiveRun(owner: $0.run.owner, project: $0.run.project, request: $0.run.request) },
                    usage: usage)
                guard let next = scheduler.decide(queue, snapshot: snapshot).next else { break }
                let run = queue.remove(at: next)
                running.append((run, now))
                order.append(run.guid)
            }
            // The earliest running run ends.
            guard let first = running.indices.min(by: { running[$0].start < running[$1].start }) else { break }
            let ended = running.remove(at: first)
            now = ended.start + duration
            finished.append((ended.run, ended.start, now))
        }
        return order
    }

    @Test("FIFO starts runs in queue order, whoever queued them")
    func fifoOrder() {
        let queue = (0..<20).map { Self.run("a", $0) } + (20..<22).map { Self.run("b", $0) }
        let order = Self.play(FIFOScheduler(), queue: queue, cores: 2)
        #expect(order == queue.map(\.guid))
    }

    @Test("fair share: when A queued 20 runs and B then 2, B's first starts before A's third")
    func fairShareOrder() throws {
        let queue = (0..<20).map { Self.run("a", $0) } + (20..<22).map { Self.run("b", $0) }
        let order = Self.play(FairShareScheduler(), queue: queue, cores: 2)
        let b1 = try #require(order.firstIndex(of: "b-20"))
        let a3 = try #require(order.firstIndex(of: "a-2"))
        #expect(b1 < a3, "\(order)")
        #expect(Set(order) == Set(queue.map(\.guid)), "every run starts once")
        // A's own runs keep their order among themselves.
        let aOrder = order.filter { $0.hasPrefix("a-") }
        #expect(aOrder == (0..<20).map { "a-\($0)" })
    }

    @Test("fair share: with equal usage, the higher priority goes first; with equal priority, the older")
    func priorityAndAge() {
        let snapshot = SchedulingSnapshot(now: Self.base.addingTimeInterval(60), capacity: Self.host())
        let queue = [Self.run("a", 0), Self.run("b", 1, priority: 40), Self.run("c", 2)]
        #expect(FairShareScheduler().decide(queue, snapshot: snapshot).next == 1)
        #expect(FairShareScheduler().decide([Self.run("a", 0), Self.run("c", 2)], snapshot: snapshot).next == 0)
    }

    @Test("a run over its project's quota waits with the quota named; another project's run passes")
    func projectQuota() {
        let snapshot = SchedulingSnapshot(
            capacity: Self.host(cores: 8),
            active: [ActiveRun(owner: "alice", project: "liver-lab", request: ResourceRequest(cores: 4, memory: 1 << 30))],
            projectQuotas: ["liver-lab": Quota(cores: 4)])
        let queue = [Self.run("alice", 0, project: "liver-lab"), Self.run("bob", 1, project: "kidney-lab")]
        for scheduler in [FIFOScheduler() as any Scheduler, FairShareScheduler()] {
            let decision = scheduler.decide(queue, snapshot: snapshot)
            #expect(decision.next == 1)
            #expect(snapshot.block(queue[0])?.1 == "waiting: project liver-lab uses 4 of 4 cores")
            let alone = scheduler.decide([queue[0]], snapshot: snapshot)
            #expect(alone.next == nil && alone.reason == "waiting: project liver-lab uses 4 of 4 cores")
        }
    }

    @Test("user quotas count runs and memory; pools cap a family")
    func userQuotaAndPool() {
        let held = ActiveRun(owner: "alice", project: "p", family: "fenics", request: ResourceRequest(cores: 1, memory: 3 << 30))
        let snapshot = SchedulingSnapshot(
            capacity: Self.host(cores: 8), active: [held],
            userQuotas: ["alice": Quota(runs: 1), "bob": Quota(memory: 4 << 30)], pools: ["fenics": 1])
        #expect(snapshot.block(Self.run("alice", 0))?.1 == "waiting: user alice runs 1 of 1 runs")
        #expect(snapshot.block(Self.run("bob", 1, memory: 5 << 30))?.1 == "waiting: user bob uses 0 bytes of 4 GiB memory")
        #expect(snapshot.block(Self.run("carol", 2, family: "fenics"))?.1 == "waiting: family fenics's pool runs 1 of 1 runs")
        #expect(snapshot.block(Self.run("carol", 3, family: "python-demo")) == nil)
    }

    @Test("a run too large for the free cores waits at the head: smaller runs behind it do not overtake it")
    func headOfLine() {
        let snapshot = SchedulingSnapshot(
            capacity: Self.host(cores: 4), active: [ActiveRun(owner: "x", project: "x", request: ResourceRequest(cores: 2, memory: 1))])
        let queue = [Self.run("a", 0, cores: 4), Self.run("b", 1, cores: 1)]
        let decision = FIFOScheduler().decide(queue, snapshot: snapshot)
        #expect(decision.next == nil)
        #expect(decision.reason?.contains("the host's cores are in use (2 of 4 held, this run needs 4)") == true, "\(decision.reason ?? "")")
        // The container cap stays a hard ceiling whatever the cores.
        let full = SchedulingSnapshot(capacity: Self.host(cores: 64, slots: 0))
        #expect(FairShareScheduler().decide([Self.run("a", 0)], snapshot: full).next == nil)
    }

    @Test("resource requests: SETTING_* override the defaults; bad values and values over the bounds name the parameter and the limit")
    func requests() throws {
        let defaults = ResourceRequest(cores: 1, memory: 2 << 30)
        let bounds = ResourceBounds(cores: 4, memory: 8 << 30)
        func parameters(_ pairs: [(String, String)]) -> ParameterSet {
            ParameterSet(pairs.map { Parameter(name: $0.0, rawValue: $0.1, type: nil, line: 7) })
        }
        let request = try ResourceRequest.resolve(
            parameters([("SETTING_CORES", "2"), ("SETTING_MEMORY", "4g"), ("SETTING_WALLTIME", "90")]), defaults: defaults, bounds: bounds)
        #expect(request == ResourceRequest(cores: 2, memory: 4 << 30, walltime: 90))
        #expect(try ResourceRequest.resolve(ParameterSet(), defaults: defaults, bounds: bounds) == defaults)
        for (name, value, expected) in [("SETTING_CORES", "-1", "SETTING_CORES must be a positive number"),
                                        ("SETTING_MEMORY", "lots", "SETTING_MEMORY must be a size"),
                                        ("SETTING_CORES", "5", "above the server's limit of 4 per run"),
                                        ("SETTING_MEMORY", "9g", "above the server's limit of 8 GiB per run")] {
            let error = #expect(throws: GSSAError.self) {
                try ResourceRequest.resolve(parameters([(name, value)]), defaults: defaults, bounds: bounds)
            }
            #expect(error?.code == .client)
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
            #expect(error?.element == "<parameter name=\"\(name)\">")
        }
    }

    @Test("a negative quota is refused naming the field")
    func negativeQuota() {
        let error = #expect(throws: GSSAError.self) { try Quota(cores: -1).validate() }
        #expect(error?.attribute == "cores" && error?.message.contains("'cores'") == true)
        #expect(throws: Never.self) { try Quota(runs: 0, cores: 2, memory: 1, storedBytes: 1).validate() }
    }
}
