// gssa-server-bench --scheduler: one scheduling decision with 10^4 queued runs from 100 users
// (issue 13 item 3, target p99 < 5 ms), against baselines measured interleaved in the same
// invocation: FIFO's decision and a plain sort of the queue by queue order.
import Foundation
import GSSAServer

func schedulerBenchmark(queued: Int, users: Int, rounds: Int) {
    let base = Date()
    var generator = SystemRandomNumberGenerator()
    let projects = 20
    let queue: [QueuedRun] = (0..<queued).map { index in
        let user = index % users
        return QueuedRun(
            guid: "run-\(index)", owner: "user\(user)", project: "project\(user % projects)", family: index % 3 == 0 ? "fenics" : "python",
            priority: Int.random(in: 0...50, using: &generator),
            request: ResourceRequest(cores: Double(Int.random(in: 1...4, using: &generator)), memory: 1 << 30),
            queued: base.addingTimeInterval(Double(index) / 100), sequence: Int64(index))
    }
    var usage = UsageHistory()
    for user in 0..<users {
        usage.add(owner: "user\(user)", project: "project\(user % projects)", coreSeconds: Double.random(in: 0...100_000, using: &generator),
                  age: Double.random(in: 0...86_400, using: &generator), halfLife: 86_400)
    }
    let active = (0..<30).map { ActiveRun(owner: "user\($0)", project: "project\($0 % projects)", request: ResourceRequest(cores: 1, memory: 1 << 30)) }
    let capacity = HostCapacity(cores: 64, memory: 256 << 30, freeSlots: 1)
    let open = SchedulingSnapshot(now: base.addingTimeInterval(3600), capacity: capacity, active: active, usage: usage)
    // Half the projects at their quota: the decision passes over every one of them.
    var quotas: [String: Quota] = [:]
    for project in stride(from: 0, to: projects, by: 2) { quotas["project\(project)"] = Quota(runs: 1) }
    let blocked = SchedulingSnapshot(now: base.addingTimeInterval(3600), capacity: capacity, active: active, projectQuotas: quotas, usage: usage)

    let fair = FairShareScheduler(), fifo = FIFOScheduler()
    var times: [String: [Double]] = [:]
    func measure(_ name: String, _ body: () -> Int?) {
        let clock = ContinuousClock.now
        let picked = body()
        times[name, default: []].append(ms(ContinuousClock.now - clock))
        precondition(picked != nil, "\(name) picked nothing")
    }
    for round in 0..<(rounds + 20) {
        let warm = round < 20
        measure("fairshare") { fair.decide(queue, snapshot: open).next }
        measure("fairshare, 10 projects at quota") { fair.decide(queue, snapshot: blocked).next }
        measure("fifo") { fifo.decide(queue, snapshot: open).next }
        measure("sort of the queue") { queue.sorted { $0.sequence < $1.sequence }.indices.first }
        if warm { times = [:] }
    }
    let sortP99 = percentile(times["sort of the queue"]!, 0.99)
    let fifoP99 = percentile(times["fifo"]!, 0.99)
    print("### Scheduler: one decision, \(queued) queued runs from \(users) users (\(rounds) decisions each, interleaved)\n")
    print("| decision | p50 ms | p99 ms | p99 / FIFO | p99 / sort |")
    print("|---|---|---|---|---|")
    for name in ["fairshare", "fairshare, 10 projects at quota", "fifo", "sort of the queue"] {
        let values = times[name]!
        let p99 = percentile(values, 0.99)
        print(String(format: "| %@ | %.3f | %.3f | %.2f | %.2f |", name, percentile(values, 0.5), p99, p99 / fifoP99, p99 / sortP99))
    }
    let worst = max(percentile(times["fairshare"]!, 0.99), percentile(times["fairshare, 10 projects at quota"]!, 0.99))
    print("\nTarget: fairshare p99 < 5 ms: \(worst < 5 ? "met" : "NOT met") (\(String(format: "%.3f", worst)) ms).")
}
