import CoreMetrics
import Foundation
import Metrics
import Prometheus
import Synchronization

/// The server's Prometheus metrics, on a registry of its own (no global bootstrap, so several
/// servers can live in one test process).
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// Seconds from leaving the queue to the container running.
    let launchLatency: CoreMetrics.Timer
    /// Seconds spent meshing on the host.
    let meshing: CoreMetrics.Timer
    let slotsInUse: CoreMetrics.Gauge
    let queueLength: CoreMetrics.Gauge
    let runsStarted: CoreMetrics.Counter
    /// Seconds one scheduling decision takes.
    let schedulingLatency: CoreMetrics.Timer
    /// Projects with a queue-length gauge, so an emptied queue reads 0, not its last length.
    private let queuedProjects = Mutex<Set<String>>([])
    /// Projects with a used-cores gauge, so one whose runs ended reads 0.
    private let usingProjects = Mutex<Set<String>>([])

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
        ]
        self.factory = factory
        launchLatency = CoreMetrics.Timer(label: "gssa_launch_latency_seconds", factory: factory)
        meshing = CoreMetrics.Timer(label: "gssa_meshing_seconds", factory: factory)
        slotsInUse = CoreMetrics.Gauge(label: "gssa_container_slots_in_use", factory: factory)
        queueLength = CoreMetrics.Gauge(label: "gssa_queue_length", factory: factory)
        runsStarted = CoreMetrics.Counter(label: "gssa_runs_started_total", factory: factory)
        schedulingLatency = CoreMetrics.Timer(label: "gssa_scheduling_decision_seconds", factory: factory)
    }

    /// Sets `gssa_runs{state=…}` for every state.
    func setRuns(_ counts: [SimulationState: Int]) {
        for state in SimulationState.allCases {
            CoreMetrics.Gauge(label: "gssa_runs", dimensions: [("state", state.rawValue)], factory: factory)
                .record(counts[state] ?? 0)
        }
        queueLength.record(counts[.queued] ?? 0)
    }

    /// Sets `gssa_queue_length_by_project{project=…}` from the projects of the queued runs.
    func setQueue(_ projects: [String]) {
        var counts: [String: Int] = [:]
        for project in projects { counts[project, default: 0] += 1 }
        let known = queuedProjects.withLock { known in
            known.formUnion(counts.keys)
            return known
        }
        for project in known {
            CoreMetrics.Gauge(label: "gssa_queue_length_by_project", dimensions: [("project", project)], factory: factory)
                .record(counts[project] ?? 0)
        }
    }

    /// Sets `gssa_project_cores{project=…, kind="used"|"quota"}`.
    func setProjects(_ used: [String: ResourceTally], quotas: [String: Quota]) {
        let known = usingProjects.withLock { known in
            known.formUnion(used.keys)
            return known
        }
        for project in known {
            CoreMetrics.Gauge(label: "gssa_project_cores", dimensions: [("project", project), ("kind", "used")], factory: factory)
                .record(used[project]?.cores ?? 0)
        }
        for (project, quota) in quotas {
            guard let cores = quota.cores else { continue }
            CoreMetrics.Gauge(label: "gssa_project_cores", dimensions: [("project", project), ("kind", "quota")], factory: factory)
                .record(cores)
        }
    }

    /// Records a duration on a timer.
    func record(_ timer: CoreMetrics.Timer, _ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        timer.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// The Prometheus text exposition.
    public func exposition() -> String { registry.emitToString() }
}
