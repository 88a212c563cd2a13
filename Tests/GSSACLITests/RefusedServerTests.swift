import Foundation
import Testing

/// How fast a client gives up on a server that refuses connections. It measures wall-clock
/// time, so scripts/test runs it in the serial pass, where no other test holds the
/// cooperative pool.
@Suite struct RefusedServerTests {
    @Test("a server that refuses connections: E_SERVER (exit 3) at once, naming the URL")
    func refusedServerFailsFast() async throws {
        let clock = ContinuousClock()
        let began = clock.now
        let result = try await GSSABinary.run(["search", "--server", "http://127.0.0.1:1"], environment: ["GSSA_CONFIG": "/nonexistent"])
        let elapsed = clock.now - began
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("http://127.0.0.1:1") && result.stderr.contains("connection refused"), "\(result.stderr)")
        #expect(elapsed < .seconds(10), "took \(elapsed)")
    }
}
