import Foundation
import GSSA
import GSSATestSupport
import Testing

@testable import GSSACLI
import ArgumentParser

@Suite struct ImagesCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func parsesBuildLines() throws {
        let record = try #require(ImageBuildRecord(
            line: "IMAGE python gssa/python:bookworm gssa/python:3d5f33323b6a sha256:8e02ffcde97e built 31"))
        #expect(record.name == "python")
        #expect(record.hashTag == "gssa/python:3d5f33323b6a")
        #expect(record.imageID == "sha256:8e02ffcde97e")
        #expect(record.state == "built" && record.seconds == 31)
        #expect(ImageBuildRecord(line: "Step 3/11 : RUN apt-get update") == nil)
        #expect(ImageBuildRecord(line: "IMAGE python tag hash notanid built 3") == nil)
    }

    @Test func commandLineParsing() throws {
        let command = try ImagesCommand.parseAsRoot(["build", "fenics", "--json"])
        #expect((command as? ImagesCommand.Build)?.target == .fenics)
        #expect((try ImagesCommand.parseAsRoot(["build", "gmsh-bioheat"]) as? ImagesCommand.Build)?.target == .family("gmsh-bioheat"))
        for bad in ["../etc", "-x", ".hidden", "a/b"] {
            #expect(throws: (any Error).self, "\(bad)") { try ImagesCommand.parseAsRoot(["build", "--", bad]) }
        }
    }

    @Test func notASourceTreeIsAClientError() {
        #expect { try ImageBuilder(repository: URL(fileURLWithPath: "/tmp")) } throws: {
            ($0 as? GSSAError)?.code == .client
        }
    }

    @Test func unknownFamilyIsAClientError() throws {
        let builder = try ImageBuilder(repository: Self.repository)
        #expect { try builder.build(.family("no-such-family")) } throws: { ($0 as? GSSAError)?.code == .client }
    }

    @Test func ledgerKeepsLatestRecordPerImage() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-ledger-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let ledger = ImageLedger(file: directory.appendingPathComponent("images.json"))
        let old = try #require(ImageBuildRecord(line: "IMAGE python t h sha256:old built 1"))
        let new = try #require(ImageBuildRecord(line: "IMAGE python t h sha256:new cached 0"))
        let base = try #require(ImageBuildRecord(line: "IMAGE base t h sha256:base cached 0"))
        try ledger.record([old, base])
        try ledger.record([new])
        #expect(ledger.load() == ["python": new, "base": base])
    }

    /// The real thing: with the engine up, building python twice is idempotent — the second time
    /// is a content-hash hit with the same image ID.
    @Test(.requiresDockerEngine) func buildingPythonTwiceIsIdempotent() throws {
        let builder = try ImageBuilder(repository: Self.repository)
        let first = try builder.build(.python)
        let second = try builder.build(.python)
        #expect(first.map(\.name) == ["python"])
        #expect(second.first?.state == "cached")
        #expect(second.first?.imageID == first.first?.imageID)
        #expect(second.first?.hashTag.hasPrefix("gssa/python:") == true)
    }
}
