// gssa-server-bench --sweep: what settling a sweep costs in the SQLite store, per child's end
// and for the whole sweep, by the store's tally against reading every child (what settling did
// before), measured interleaved in one invocation on the same database.
import Foundation
import GSSAServer

func sweepBenchmark(children count: Int, rounds: Int, scratch: URL) async throws {
    let store = try SQLiteSimulationStore(path: scratch.appendingPathComponent("gssa.sqlite3").path)
    let states: [SimulationState] = [.succeeded, .running, .queued, .failed, .waiting]
    let start = Date()
    for index in 0..<count {
        var child = SimulationRecord(guid: UUID().uuidString, name: "SWEEP-\(index + 1)", owner: "alice",
                                     directory: "/data/runs/\(index)", state: states[index % states.count],
                                     createdAt: start.addingTimeInterval(Double(index)))
        child.parent = "SWEEP"
        child.percentage = Double(index % 100)
        child.sweepValues = ["RATE": "\(index)"]
        child.message = "step \(index % 100) of 100"
        try await store.insert(child)
    }
    // Other runs in the same table, as on a server that has been in use.
    for index in 0..<count {
        try await store.insert(SimulationRecord(guid: UUID().uuidString, name: "OTHER-\(index)", owner: "bob",
                                                directory: "/data/runs/o\(index)", state: .succeeded))
    }
    var times: [String: [Double]] = [:]
    for round in 0..<(rounds + 5) {
        var clock = ContinuousClock.now
        let read = SweepTally(children: try await store.children(owner: "alice", parent: "SWEEP"))
        let readTime = ms(ContinuousClock.now - clock)
        clock = ContinuousClock.now
        let tally = try await store.sweepTally(owner: "alice", parent: "SWEEP")
        let tallyTime = ms(ContinuousClock.now - clock)
        precondition(tally == read, "the store's tally differs from reading every child")
        guard round >= 5 else { continue }
        times["read every child", default: []].append(readTime)
        times["store tally", default: []].append(tallyTime)
    }
    let read = percentile(times["read every child"]!, 0.5), tally = percentile(times["store tally"]!, 0.5)
    print("### Sweep: settling a sweep of \(count) children (SQLite, \(rounds) rounds each, interleaved)\n")
    print("| per child's end | p50 ms | p99 ms | whole sweep (× \(count)) s |")
    print("|---|---|---|---|")
    for name in ["read every child", "store tally"] {
        let values = times[name]!
        let p50 = percentile(values, 0.5)
        print(String(format: "| %@ | %.3f | %.3f | %.2f |", name, p50, percentile(values, 0.99), p50 * Double(count) / 1000))
    }
    print(String(format: "\nThe tally takes %.3f× the time of reading every child.", tally / read))
}
