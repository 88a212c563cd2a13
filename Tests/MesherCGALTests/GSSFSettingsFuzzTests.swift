import Families
import Foundation
import GSSA
import GSSAFuzzing
import Testing

@testable import MesherCGAL

/// Fuzz target (b): the GSSF-XML settings reader (what `gssa mesh` and host meshing read).
/// Contract: ``MeshSettings`` or `E_CLIENT`; never a trap. The corpus is the golden GSSF file
/// and the GSSF-XML the fenics family generates for every example definition.
@Suite struct GSSFSettingsFuzzTests {
    static let root = FuzzCorpus.repositoryRoot(fromTestFile: #filePath)

    static func corpus() throws -> [[UInt8]] {
        var seeds = FuzzCorpus.files(under: [root.appendingPathComponent("Tests/FamiliesTests/Golden")], suffixes: [".gssf.xml"])
        for definition in FuzzCorpus.files(under: [root.appendingPathComponent("examples")], suffixes: [".xml"]) {
            guard let parsed = try? SimulationDefinition.parse(Data(definition)),
                let configuration = try? FenicsFamily().configure(parsed),
                let settings = configuration.generatedFile("input/settings.xml")
            else { continue }
            seeds.append(Array(settings.contents))
        }
        return seeds
    }

    /// GSSF crashers kept as regression cases (docs/fuzzing.md).
    static let crashers = root.appendingPathComponent("Tests/GSSATests/Crashers/gssf")

    /// A folder with an empty file for every surface the documents name: the reader checks that
    /// surface files exist next to the settings.
    static func surfaces(for documents: [[UInt8]]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-fuzz-gssf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for document in documents {
            for element in (try? XMLTreeReader.read(Data(document)))?.descendantsAndSelf ?? [] {
                guard let input = element[attribute: "input"], SafePath.isSafeRelative(input) else { continue }
                let file = folder.appendingPathComponent(input)
                try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                _ = FileManager.default.createFile(atPath: file.path, contents: Data())
            }
        }
        return folder
    }

    @Test func crashersAreClientErrors() throws {
        let crashers = FuzzCorpus.files(under: [Self.crashers], suffixes: [".xml"])
        #expect(crashers.count >= 2)
        let folder = try Self.surfaces(for: crashers)
        defer { try? FileManager.default.removeItem(at: folder) }
        let reader = try GSSFSettingsReader()
        for crasher in crashers {
            do {
                _ = try reader.read(Data(crasher), settingsFile: folder.appendingPathComponent("settings.xml"))
                Issue.record("a crasher was accepted")
            } catch {
                #expect(error.code == .client)
                #expect(error.reason.contains("is not an integer"), "\(error)")
            }
        }
    }

    @Test func settingsReaderNeverCrashes() throws {
        let corpus = try Self.corpus()
        #expect(corpus.count >= 3)
        let folder = try Self.surfaces(for: corpus)
        defer { try? FileManager.default.removeItem(at: folder) }
        let reader = try GSSFSettingsReader()
        let settingsFile = folder.appendingPathComponent("settings.xml")

        let campaign = FuzzCampaign(target: "gssf", seed: 0x6753_5341_0005, defaultCases: 2500)
        let report = campaign.run(corpus: corpus) { bytes in
            do {
                _ = try reader.read(Data(bytes), settingsFile: settingsFile)
                return .outcome("read")
            } catch let error as GSSAError {
                guard error.code == .client else { return .failure("\(error.code.name), not E_CLIENT: \(error)") }
                return .outcome(error.reason.contains("malformed XML") ? "E_CLIENT malformed XML" : "E_CLIENT invalid settings")
            }
        }
        print("fuzz \(report)")
        #expect(report.failures.isEmpty, "\(report)")
        #expect((report.outcomes["read"] ?? 0) > 0, "\(report)")
    }
}
