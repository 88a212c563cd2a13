import Foundation
import GSSACore
import Testing

@testable import GSSAArchive

/// The one-pass form of the tar member policy used when outputs stream out of containers.
@Suite("Streaming extraction policy")
struct StreamPolicyTests {
    private func policy(maxBytes: Int64 = 1 << 20, maxEntries: Int = 100) -> StreamPolicy {
        StreamPolicy(
            stripComponents: 1, refusal: "refusing tar",
            limits: TarStreamExtractor.Limits(
                maxBytes: maxBytes, maxEntries: maxEntries, bytesExceeded: .model("too many bytes"),
                entriesExceeded: .model("too many entries")))
    }

    private func member(_ name: String, _ kind: TarGzReader.Member.Kind, size: Int64 = 0) -> TarGzReader.Member {
        TarGzReader.Member(name: name, kind: kind, size: size)
    }

    private func refusal(_ members: [TarGzReader.Member], _ policy: StreamPolicy? = nil) -> String? {
        var policy = policy ?? self.policy()
        do {
            for member in members { _ = try policy.admit(member) }
            return nil
        } catch {
            return error.message
        }
    }

    @Test func theWholeArchivePolicyAppliesPerMember() {
        #expect(refusal([member("out/../../etc/passwd", .file)])?.contains("contains '..'") == true)
        #expect(refusal([member("/etc/passwd", .file)])?.contains("absolute path") == true)
        #expect(refusal([member("out/l", .symlink("/etc"))])?.contains("points outside") == true)
        #expect(refusal([member("out/l", .symlink("x")), member("out/l/inner", .file)])?.contains("beneath the symlink") == true)
        #expect(refusal([member("out/dev", .other)])?.contains("device") == true)
        #expect(refusal([member("out", .directory), member("out/a", .file, size: 3), member("out/b", .symlink("a"))]) == nil)
    }

    @Test func orderRulesCloseWhatOnePassCouldMiss() {
        // A later link redirecting an earlier one out of the root.
        let redirected = refusal([member("out/a", .symlink("d/c/../../x")), member("out/d/c", .symlink("."))])
        #expect(redirected?.contains("points outside (through 'd/c')") == true, "\(redirected ?? "accepted")")
        // A link replacing, or sitting above, what was written before it.
        #expect(refusal([member("out/a/b", .file), member("out/a", .symlink("elsewhere"))])?.contains("replace or sit above") == true)
        #expect(refusal([member("out/a", .file), member("out/a", .symlink("b"))])?.contains("replace or sit above") == true)
        // A member written over a link.
        #expect(refusal([member("out/l", .symlink("x")), member("out/l", .file)])?.contains("repeats the path") == true)
    }

    @Test func quotasStopAtTheFirstMemberOverThem() {
        #expect(refusal([member("out/a", .file, size: 600), member("out/b", .file, size: 600)], policy(maxBytes: 1000)) == "too many bytes")
        #expect(refusal((0..<5).map { member("out/f\($0)", .file) }, policy(maxEntries: 4)) == "too many entries")
        var counting = policy(maxBytes: 10)
        #expect(throws: GSSAError.self) { try counting.count(bytes: 11) }
    }
}
