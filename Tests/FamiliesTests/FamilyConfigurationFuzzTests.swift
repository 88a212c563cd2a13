import Foundation
import GSSA
import GSSAFuzzing
import Testing
import Yams
@testable import Families

/// Fuzz target (c): family configuration. Mutated definitions are parsed, and each one that
/// parses is configured by the built-in families (fenics, elmer-libnuma) and by a Docker+CGAL
/// drop-in family. Contract: a configuration or `E_CLIENT`; every generated XML file reads back
/// through ``XMLTreeReader`` and every YAML file through Yams (hostile values must not break the
/// documents handed to the solver); every path stays relative and inside the run directory.
@Suite struct FamilyConfigurationFuzzTests {
    static let root = FuzzCorpus.repositoryRoot(fromTestFile: #filePath)

    @Test func configureNeverCrashesAndWritesWellFormedFiles() throws {
        let folder = temporaryDirectory("fuzz-family").appendingPathComponent("cgal-dropin")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try """
            image: gssa/python:bookworm
            workflow: docker+cgal
            parameters: {CONSTANT_K: float, SETTING_N: integer}
            """.write(to: folder.appendingPathComponent("family.yml"), atomically: true, encoding: .utf8)
        try "print('x')\n".write(to: folder.appendingPathComponent("start.py"), atomically: true, encoding: .utf8)
        let families: [any Family] = [FenicsFamily(), ElmerLibNumaFamily(), try DropInFamily(folder: folder)]

        let corpus = FuzzCorpus.files(
            under: [Self.root.appendingPathComponent("examples"), Self.root.appendingPathComponent("Tests/FamiliesTests/Golden"),
                    Self.root.appendingPathComponent("Tests/GSSAServerTests/Fixtures")],
            suffixes: [".xml"]
        ).filter { String(decoding: $0, as: UTF8.self).contains("<simulationDefinition") }
        #expect(corpus.count >= 5)

        let campaign = FuzzCampaign(target: "families", seed: 0x6753_5341_0003, defaultCases: 1500)
        let report = campaign.run(corpus: corpus) { bytes in
            let definition: SimulationDefinition
            do { definition = try SimulationDefinition.parse(Data(bytes)) } catch { return .outcome("not parsed") }
            var configured = 0
            for family in families {
                let configuration: FamilyConfiguration
                do { configuration = try family.configure(definition) } catch let error as GSSAError {
                    guard error.code == .client else { return .failure("\(family.name): \(error.code.name), not E_CLIENT: \(error)") }
                    continue
                }
                configured += 1
                for file in configuration.generated {
                    guard SafePath.isSafeRelative(file.path) else { return .failure("\(family.name): generated path \(file.path)") }
                    if file.path.hasSuffix(".xml") {
                        do { _ = try XMLTreeReader.read(file.contents) } catch {
                            return .failure("\(family.name): \(file.path) is not well-formed: \(error)")
                        }
                    }
                    if file.path.hasSuffix(".yml") || file.path.hasSuffix(".yaml") {
                        // needle_parameters.yml holds one document per needle.
                        do { for _ in try Yams.load_all(yaml: String(decoding: file.contents, as: UTF8.self)) {} } catch {
                            return .failure("\(family.name): \(file.path) is not YAML: \(error)")
                        }
                    }
                }
                for file in configuration.required where !SafePath.isSafeRelative(file.local) || !SafePath.isSafeRelative(file.remote) {
                    return .failure("\(family.name): required file \(file.remote) -> \(file.local) leaves the run directory")
                }
            }
            return .outcome(configured == 0 ? "parsed, refused by all families" : "configured by \(configured) of \(families.count)")
        }
        print("fuzz \(report)")
        #expect(report.failures.isEmpty, "\(report)")
        #expect(report.outcomes.keys.contains { $0.hasPrefix("configured") }, "\(report)")
    }
}
