import ArgumentParser
import Foundation
import GSSA
import GSSAAPI
import HummingbirdWSClient
import Logging
import Synchronization
import NIOHTTP1
import NIOWebSocket

/// Follows one run until it ends (`launch --wait`, `gssa wait`) and returns its outcome.
///
/// Events come from the WebSocket. When it cannot be had within ``connectTimeout`` (refused,
/// hanging, a proxy that drops upgrades) or closes before the end, the follower says so on
/// stderr and polls the run's status instead, so it never waits on a stream that will not come.
struct RunFollower {
    let client: ServerClient
    /// The run's full GUID.
    let guid: String
    /// Where progress goes; nil for none (`--json`).
    let progress: ProgressLine?
    var connectTimeout: Duration = .seconds(10)
    var pollInterval: Duration = .seconds(1)

    /// What the listening task and the waiter share.
    actor State {
        var outcome: GSSAError?
        /// The server's `identify` arrived: the subscription is live.
        var identified = false
        /// The listener returned (closed, refused, failed).
        var ended = false
        private var waiters: [CheckedContinuation<Void, Never>] = []

        func set(_ outcome: GSSAError) { if self.outcome == nil { self.outcome = outcome } }
        func markIdentified() { identified = true; wake() }
        func markEnded() { ended = true; wake() }
        private func wake() {
            for waiter in waiters { waiter.resume() }
            waiters = []
        }
        /// Returns once identified or ended; true when identified.
        func waitIdentified() async -> Bool {
            if !identified && !ended { await withCheckedContinuation { waiters.append($0) } }
            return identified
        }
    }

    /// Subscribes, runs `trigger` once subscribed (so that no event is missed), then waits for
    /// the end: from events, or from the status if the run has already ended.
    func run(trigger: @escaping @Sendable () async throws -> Void = {}) async throws -> GSSAError {
        let state = State()
        var failure: (any Error)?
        let subscribed = await withTaskGroup(of: Bool.self) { group -> Bool in
            group.addTask {
                do { try await listen(state) } catch {}
                await state.markEnded()
                return false
            }
            group.addTask { await state.waitIdentified() }
            group.addTask {
                try? await Task.sleep(for: connectTimeout)
                return false
            }
            // The first of: identified (true); the listener ended or the time is up (false).
            guard await group.next() == true else {
                group.cancelAll()
                return false
            }
            // Subscribed: start, then let the listener run to the run's end.
            do {
                try await trigger()
                if let ended = try await endedStatus() { await state.set(ended) }
            } catch {
                // The start (or the status) was refused: that is the answer, not the run's outcome.
                failure = error
                group.cancelAll()
                return true
            }
            while await state.outcome == nil, await group.next() != nil {}
            group.cancelAll()
            return true
        }
        if let failure { throw failure }
        if let outcome = await state.outcome {
            progress?.finish(outcome)
            return outcome
        }
        if subscribed {
            CLIOutput.standardError("gssa: the event stream closed before \(guid) ended; following its status instead")
        } else {
            CLIOutput.standardError("gssa: no event stream from \(client.base) within \(connectTimeout); following the status every \(pollInterval) instead")
            try await trigger()
        }
        return try await poll()
    }

    /// The run's outcome if it has already ended.
    func endedStatus() async throws -> GSSAError? {
        let run = try await client.json(SimulationSummary.self, .GET, ServerClient.runPath(guid))
        guard run.state.isTerminal else { return nil }
        return run.exitStatus ?? GSSAError(.unknown, "ended without a status")
    }

    /// Polls the status until the run ends.
    func poll() async throws -> GSSAError {
        while true {
            let run = try await client.json(SimulationSummary.self, .GET, ServerClient.runPath(guid))
            if run.state.isTerminal {
                let outcome = run.exitStatus ?? GSSAError(.unknown, "ended without a status")
                progress?.finish(outcome)
                return outcome
            }
            progress?.show(state: run.state, position: run.position, percentage: run.status.percentage, message: run.status.message)
            try await Task.sleep(for: pollInterval)
        }
    }

    /// Reads events until this run's `complete` or `fail`.
    private func listen(_ state: State) async throws {
        var logger = Logger(label: "gssa.client.events")
        logger.logLevel = .critical
        let guid = guid, progress = progress
        try await WebSocketClient.connect(url: client.eventsURL, logger: logger) { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message,
                    let event = try? JSONDecoder().decode(ServerEvent.self, from: Data(text.utf8))
                else { continue }
                if event.type == .identify { await state.markIdentified() }
                if await state.outcome != nil { break }
                guard event.guid == guid else { continue }
                switch event.type {
                case .status, .announce:
                    progress?.show(state: event.state, position: event.position, percentage: event.percentage,
                                   message: event.status?.message)
                case .complete, .fail:
                    await state.set(event.status ?? GSSAError(.unknown, "no status"))
                default:
                    continue
                }
                if await state.outcome != nil { break }
            }
            try? await outbound.close(.normalClosure, reason: nil)
        }
    }
}

/// How `launch --wait` and `wait` follow a run.
struct FollowOptions: ParsableArguments {
    @Option(help: "Seconds to wait for the server's event stream before following the status instead.")
    var eventsTimeout: Double = 10

    func validate() throws {
        guard eventsTimeout > 0, eventsTimeout <= 3600 else {
            throw ValidationError("--events-timeout must be more than 0 and at most 3600 seconds, not \(eventsTimeout)")
        }
    }

    func follower(client: ServerClient, guid: String, progress: ProgressLine?) -> RunFollower {
        var follower = RunFollower(client: client, guid: guid, progress: progress)
        follower.connectTimeout = .milliseconds(Int64(eventsTimeout * 1000))
        return follower
    }
}

/// The progress of a followed run on stderr: a bar redrawn in place on a terminal, plain lines
/// (one per change, never `\r` or escape codes) in a file or pipe. Messages are never cut.
final class ProgressLine: Sendable {
    private let terminal: Bool
    /// The last text shown, so that an unchanged status is not repeated.
    private let last = Mutex("")

    init(terminal: Bool = isatty(STDERR_FILENO) == 1) { self.terminal = terminal }

    func show(state: SimulationState?, position: Int?, percentage: Double?, message: String?) {
        let percentage = max(0, min(100, percentage ?? 0))
        let label = state.map { $0 == .queued ? "queued" + (position.map { " #\($0)" } ?? "") : $0.rawValue } ?? ""
        let text = "\(String(format: "%5.1f", percentage))%  \(label)  \(message ?? "")"
        let changed = last.withLock { last in
            guard last != text else { return false }
            last = text
            return true
        }
        guard changed else { return }
        if terminal {
            let filled = Int(percentage / 100 * 30)
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
            CLIOutput.standardErrorRaw("\r\u{1B}[K[\(bar)] \(text)")
        } else {
            CLIOutput.standardError(text)
        }
    }

    func finish(_ outcome: GSSAError) {
        let text = "\(outcome.code.name): \(outcome.message)"
        if terminal { CLIOutput.standardErrorRaw("\r\u{1B}[K\(text)\n") } else { CLIOutput.standardError(text) }
    }
}
