import Foundation
import Testing
@testable import GSSA

/// Documents at the size limit built to be slow or large: each must finish promptly.
/// Serialized: two 16 MiB trees at once would double the peak memory on CI's two cores.
/// (Measured once, alone: 4M empty elements 3.3 s; 9,398 runs of depth 255 2.3 s;
/// 16 MiB of character references 0.5 s; see docs/fuzzing.md.)
@Suite(.serialized) struct XMLReaderWorstCaseTests {
    static let limit = InputLimits.maximumDefinitionBytes

    /// Fills a document up to just under the size limit with `unit`.
    static func document(_ open: String, _ unit: String, _ close: String) -> Data {
        let count = (limit - open.utf8.count - close.utf8.count) / unit.utf8.count
        var text = open
        text.reserveCapacity(limit)
        for _ in 0..<count { text += unit }
        return Data((text + close).utf8)
    }

    static func measure(_ label: String, _ data: Data) -> (Duration, String) {
        let clock = ContinuousClock()
        var outcome = ""
        let elapsed = clock.measure {
            do { outcome = "\(try XMLTreeReader.read(data).children.count) children" } catch { outcome = "\(error)" }
        }
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        print("worst case \(label): \(data.count) bytes in \(elapsed), peak RSS so far \(usage.ru_maxrss / 1024) MiB: \(outcome.prefix(200))")
        return (elapsed, outcome)
    }

    @Test func manyAttributesOnOneElementAreRefusedBeforeLibxml2() {
        // libxml2 2.9 would spend hours on this tag (pairwise duplicate checks).
        var index = 0
        var text = "<r>\n<many"
        while text.utf8.count < Self.limit - 64 {
            text += " a\(index)='='"
            index += 1
        }
        let (_, outcome) = Self.measure("\(index) attributes", Data((text + "/></r>").utf8))
        #expect(outcome.contains("line 2: <many>: more than 256 attributes on one element"), "\(outcome)")
        // At the limit, fine.
        let ok = "<r " + (0..<XMLTreeReader.maximumAttributes).map { "a\($0)='x=y'" }.joined(separator: " ") + "/>"
        #expect(throws: Never.self) { try XMLTreeReader.read(Data(ok.utf8)) }
    }

    @Test func manyNamespacesAreRefusedBeforeLibxml2() {
        let nested = (0..<200).map { "<p\($0):e xmlns:p\($0)='urn:\($0)'>" }.joined() + "<p0:x/>"
        let (_, outcome) = Self.measure("200 namespaces", Data(nested.utf8))
        #expect(outcome.contains("more than 64 namespace declarations"), "\(outcome)")
    }

    @Test func attributesInsideCommentsCDATAAndValuesAreNotCounted() throws {
        let fake = (0..<1000).map { " a\($0)=''" }.joined()
        let xml = "<r v='\(fake.replacingOccurrences(of: "'", with: "\""))'><!-- <x\(fake)> --><![CDATA[<x\(fake)>]]><?pi <x\(fake)> ?></r>"
        #expect(try XMLTreeReader.read(Data(xml.utf8)).attributes.count == 1)
    }

    @Test func manySmallElements() {
        let (_, outcome) = Self.measure("empty elements", Self.document("<r>", "<a/>", "</r>"))
        #expect(outcome == "4194302 children")
    }



}
