import Foundation
import GSSAFuzzing
import Testing
@testable import GSSA

/// Fuzz target (a): GSSA-XML end to end, the path of `gssa validate`, `PUT definition` and
/// `POST compare`. Contract: a definition, or `E_CLIENT` naming the line; never a trap.
@Suite struct GSSAXMLFuzzTests {
    static let root = FuzzCorpus.repositoryRoot(fromTestFile: #filePath)

    /// Real definitions and GSSF documents from the repository, the crasher corpus and the fixture.
    static func corpus() -> [[UInt8]] {
        FuzzCorpus.files(under: [root.appendingPathComponent("examples"), root.appendingPathComponent("Tests")], suffixes: [".xml"])
            + [Array(representativeXML.utf8)]
    }

    /// What a rejection was about, for the campaign's counts.
    static func label(_ error: GSSAError) -> String {
        if error.reason.hasPrefix("malformed XML") { return "E_CLIENT malformed XML" }
        if error.reason.contains("DOCTYPE") || error.reason.contains("entity declarations") { return "E_CLIENT DTD refused" }
        if error.reason.contains("InputLimits") { return "E_CLIENT over a limit" }
        return "E_CLIENT invalid definition"
    }

    @Test func corpusIsLoaded() {
        #expect(Self.corpus().count >= 10)
    }

    @Test func parserNeverCrashesAndAlwaysNamesTheLine() {
        let campaign = FuzzCampaign(target: "gssa-xml", seed: 0x6753_5341_0001, defaultCases: 8000)
        let report = campaign.run(corpus: Self.corpus()) { bytes in
            do {
                _ = try SimulationDefinition.parse(Data(bytes))
                return .outcome("accepted")
            } catch let error as GSSAError {
                guard error.code == .client else { return .failure("\(error.code.name), not E_CLIENT: \(error)") }
                guard !error.reason.contains("libxml2 error") else { return .failure("unhelpful message: \(error)") }
                guard error.line != nil || error.reason.contains("the document is empty") || error.reason.contains("InputLimits") else {
                    return .failure("no line: \(error)")
                }
                return .outcome(Self.label(error))
            }
        }
        print("fuzz \(report)")
        #expect(report.failures.isEmpty, "\(report)")
        #expect(report.casesRun == campaign.cases || report.stoppedByTime)
        // The mutator must get past the XML layer, or the campaign tests little.
        #expect((report.outcomes["accepted"] ?? 0) + (report.outcomes["E_CLIENT invalid definition"] ?? 0) > report.casesRun / 20, "\(report)")
    }

    @Test func comparingMutantsNeverCrashes() {
        // `POST compare` parses two definitions and diffs them; mutants that parse get compared.
        let corpus = Self.corpus()
        let campaign = FuzzCampaign(target: "gssa-compare", seed: 0x6753_5341_0002, defaultCases: 1500)
        let base = try? SimulationDefinition.parse(representativeXML)
        let report = campaign.run(corpus: corpus) { bytes in
            guard let base, let mutant = try? SimulationDefinition.parse(Data(bytes)) else { return .outcome("not parsed") }
            let forward = Comparator(base, mutant).differences()
            let backward = Comparator(mutant, base).differences()
            guard forward.isEmpty == backward.isEmpty else { return .failure("asymmetric comparison") }
            return .outcome(forward.isEmpty ? "same" : "different")
        }
        print("fuzz \(report)")
        #expect(report.failures.isEmpty, "\(report)")
    }
}
