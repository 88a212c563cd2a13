import Foundation
import GSSATestSupport
import Testing

/// scripts/dockerd: idempotent "make an engine answer".
@Suite(.requiresDockerEngine) struct DockerdScriptTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/dockerd").path

    @Test func secondCallIsANoOpAndTheEngineAnswers() async throws {
        let first = try await sh(["bash", Self.script])
        try #require(first.status == 0, "a Docker engine (scripts/dockerd failed: \(first.err))")
        let second = try await sh(["bash", Self.script])
        #expect(second.status == 0)
        #expect(second.err.contains("engine already answers"))
        #expect(try await sh(["docker", "info", "--format", "{{.ServerVersion}}"]).status == 0)
    }
}
