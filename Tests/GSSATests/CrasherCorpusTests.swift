import Foundation
import GSSAFuzzing
import Testing
@testable import GSSA

/// Every input that ever crashed (or could crash) a reader stays here as a regression case.
///
/// The files live in `Tests/GSSATests/Crashers/<target>/` (see docs/fuzzing.md). Each must end
/// as a result or a `GSSAError` of the expected code, never a trap.
@Suite struct CrasherCorpusTests {
    static let crashers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Crashers")

    static func files(_ target: String) -> [URL] {
        let folder = crashers.appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().map { folder.appendingPathComponent($0) }
    }

    @Test func theCorpusIsThere() {
        #expect(Self.files("gssa-xml").count >= 18)
    }

    @Test(arguments: CrasherCorpusTests.files("gssa-xml"))
    func gssaXMLCrasherIsAClientError(file: URL) throws {
        let data = try Data(contentsOf: file)
        do {
            _ = try SimulationDefinition.parse(data)
        } catch {
            #expect(error.code == .client, "\(file.lastPathComponent): \(error)")
            #expect(error.line != nil, "\(file.lastPathComponent): \(error) names no line")
            #expect(!error.description.contains("libxml2 error"))
        }
    }

    @Test func entityAttacksNeverReachTheTree() throws {
        for name in ["billion-laughs.xml", "external-entity-file.xml", "external-parameter-entity.xml", "external-dtd.xml"] {
            let data = try Data(contentsOf: Self.crashers.appendingPathComponent("gssa-xml/\(name)"))
            do {
                _ = try XMLTreeReader.read(data)
                Issue.record("\(name) accepted")
            } catch {
                #expect(error.reason.contains("DOCTYPE declarations are not accepted"), "\(name): \(error)")
                #expect(error.line == 2)
            }
        }
    }
}
