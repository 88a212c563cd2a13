import Foundation
import Testing

@Suite struct CLITests {
    @Test func versionNamesReleaseCommitAndAPI() async throws {
        let result = try await GSSABinary.run(["--version"])
        #expect(result.status == 0)
        let line = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(line.hasPrefix("gssa "), "\(line)")
        #expect(line.contains("(commit ") && !line.contains("commit unknown"), "\(line)")
        #expect(line.hasSuffix("API A1.0)"), "\(line)")
    }

    @Test func helpListsTheExitStatuses() async throws {
        let result = try await GSSABinary.run(["--help"])
        for status in ["2  E_CLIENT", "3  E_SERVER", "4  E_MODEL", "6  E_CANCELLED"] {
            #expect(result.stdout.contains(status), "gssa --help lacks '\(status)'")
        }
    }

    @Test func anUnwritableOutputIsAHostFailureNotTheCallers() async throws {
        let result = try await GSSABinary.run(["configure", GSSABinary.example("python-demo/definition.xml"), "--out", "/proc/gssa-out"])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("E_SERVER: "), "\(result.stderr)")
    }

    @Test(arguments: ["fenics-ire/definition.xml", "python-demo/definition.xml", "inline-header/definition.xml"])
    func examplesValidate(example: String) async throws {
        let result = try await GSSABinary.run(["validate", GSSABinary.example(example)])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains(": valid"))
        #expect(result.stdout.contains("family:"))
    }

    @Test func validateSummaryAsJSON() async throws {
        let result = try await GSSABinary.run(["validate", GSSABinary.example("fenics-ire/definition.xml"), "--json"])
        #expect(result.status == 0)
        let summary = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(summary["family"] as? String == "fenics")
        #expect(summary["workflow"] as? String == "docker+cgal")
        #expect(summary["transferrer"] as? String == "tmp")
        #expect(summary["needles"] as? Int == 2)
        #expect(summary["regions"] as? Int == 3)
        #expect(summary["parameters"] as? Int == 12)
        #expect((summary["inputs"] as? [String: String])?["input/organ-1.stl"] == "organ.stl")
    }

    @Test func badInputExitsTwoWithTheLineOnStderr() async throws {
        let directory = scratchDirectory()
        let bad = directory.appendingPathComponent("bad.xml")
        let text = try String(contentsOfFile: GSSABinary.example("fenics-ire/definition.xml"), encoding: .utf8)
            .replacingOccurrences(of: "groups='[\"tumours\"]'", with: "groups='tumours'")
        try text.write(to: bad, atomically: true, encoding: .utf8)
        let line = text.components(separatedBy: "groups='tumours'")[0].filter { $0 == "\n" }.count + 1
        let result = try await GSSABinary.run(["validate", bad.path])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("E_CLIENT: line \(line): <region id=\"tumour-1\">: groups is not a JSON array"))

        let json = try await GSSABinary.run(["validate", bad.path, "--json"])
        #expect(json.status == 2)
        let envelope = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: [String: Any]])
        #expect(envelope["error"]?["code"] as? String == "E_CLIENT")
        #expect(envelope["error"]?["id"] as? Int == 2)

        let missing = try await GSSABinary.run(["validate", directory.appendingPathComponent("nope.xml").path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("not found"))

        let usage = try await GSSABinary.run(["validate"])
        #expect(usage.status == 2)
        #expect(usage.stderr.hasPrefix("E_CLIENT: "))

        let unknown = directory.appendingPathComponent("unknown.xml")
        try String(contentsOfFile: GSSABinary.example("python-demo/definition.xml"), encoding: .utf8)
            .replacingOccurrences(of: "family=\"python-demo\"", with: "family=\"no-such\"")
            .write(to: unknown, atomically: true, encoding: .utf8)
        let family = try await GSSABinary.run(["validate", unknown.path], environment: ["GSSA_FAMILIES_PATH": directory.path])
        #expect(family.status == 2)
        #expect(family.stderr.contains("unknown family 'no-such' (known: elmer-libnuma, fenics, gmsh-bioheat, python-demo)"), "\(family.stderr)")
        // The message names where it looked and how to add a folder.
        #expect(family.stderr.contains("search path \(directory.path):"), "\(family.stderr)")
        #expect(family.stderr.contains("--families DIR or GSSA_FAMILIES_PATH"))
    }

    @Test func dropInFamiliesAreFoundFromAnyFolder() async throws {
        // Not from the repository root: the checkout's families/ is found beside the executable.
        let elsewhere = scratchDirectory()
        let result = try await GSSABinary.run(["validate", GSSABinary.example("python-demo/definition.xml")], in: elsewhere)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("family:      python-demo"))
    }

    @Test func validateListsEveryProblemRunWouldHit() async throws {
        let directory = scratchDirectory()
        let definition = directory.appendingPathComponent("problems.xml")
        let text = try String(contentsOfFile: GSSABinary.example("python-demo/definition.xml"), encoding: .utf8)
        let broken = text
            .replacingOccurrences(of: #"<parameter name="CONSTANT_COOLING_RATE" value="0.05" type="float"/>"#,
                                  with: #"<parameter name="CONSTANT_COOLING_RATE" value="abc" type="float"/>"#)
            .replacingOccurrences(of: #"<parameter name="SETTING_DURATION" value="60" type="integer"/>"#, with: "")
        #expect(broken != text)
        try broken.write(to: definition, atomically: true, encoding: .utf8)
        let line = broken.components(separatedBy: "value=\"abc\"")[0].filter { $0 == "\n" }.count + 1

        // Without --inputs: the typed value and the declared-but-missing parameter.
        let plain = try await GSSABinary.run(["validate", definition.path])
        #expect(plain.status == 2)
        #expect(plain.stderr.contains("E_CLIENT: line \(line): <parameter name=\"CONSTANT_COOLING_RATE\">: value 'abc' is not of type float"), "\(plain.stderr)")
        #expect(plain.stderr.contains("the model declares parameter SETTING_DURATION, but the definition has no <parameter name=\"SETTING_DURATION\">"))
        #expect(plain.stderr.contains("2 problems"))

        // With --inputs (an empty folder): the missing surface too, all in the JSON.
        let json = try await GSSABinary.run(["validate", definition.path, "--inputs", directory.path, "--json"])
        #expect(json.status == 2)
        let summary = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(summary["valid"] as? Bool == false)
        let problems = try #require(summary["problems"] as? [[String: Any]])
        #expect(problems.count == 3, "\(problems)")
        #expect(problems.allSatisfy { $0["code"] as? String == "E_CLIENT" })
        #expect(problems.contains { ($0["message"] as? String)?.contains("input file tumour.stl") == true }, "\(problems)")

        // The example itself, with its folder as inputs, is clean.
        let good = try await GSSABinary.run(["validate", GSSABinary.example("python-demo/definition.xml"), "--inputs", GSSABinary.example("python-demo")])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("found in"))
    }

    @Test func configureWritesTheInputDirectory() async throws {
        let out = scratchDirectory().appendingPathComponent("run")
        let result = try await GSSABinary.run(["configure", GSSABinary.example("fenics-ire/definition.xml"), "--out", out.path, "--inputs", GSSABinary.example("fenics-ire/inputs")])
        #expect(result.status == 0, "\(result.stderr)")
        for file in ["regions.yml", "parameters.yml", "needle_parameters.yml", "start.tar.gz", "settings.xml", "organ-1.stl", "tumour-1.stl", "vessel-1.stl"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("input/\(file)").path), "\(file)")
            #expect(result.stdout.contains("wrote input/\(file)"))
        }
        let settings = try String(contentsOf: out.appendingPathComponent("input/settings.xml"), encoding: .utf8)
        #expect(settings.contains("<gssf name=\"elmer_libnuma\" version=\"1.0.2\">"))

        // Without --inputs the definition's folder is used; a missing file is named.
        let missing = try await GSSABinary.run(["configure", GSSABinary.example("fenics-ire/definition.xml"), "--out", scratchDirectory().path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("E_CLIENT: input file organ.stl (for input/organ-1.stl) not found"))

        let dropIn = scratchDirectory()
        let json = try await GSSABinary.run(["configure", GSSABinary.example("python-demo/definition.xml"), "--out", dropIn.path, "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let report = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(report["family"] as? String == "python-demo")
        #expect((report["written"] as? [String])?.contains("input/start.tar.gz") == true)
        #expect(!FileManager.default.fileExists(atPath: dropIn.appendingPathComponent("input/settings.xml").path))
    }

    @Test func gssfPrintsTheMeshingConfiguration() async throws {
        let result = try await GSSABinary.run(["gssf", GSSABinary.example("fenics-ire/definition.xml")])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("<?xml"))
        #expect(result.stdout.contains("<zone region=\"tumour-1\" priority=\"1\" characteristic_length=\"2.5\"/>"))
        #expect(result.stdout.contains("<centre x=\"0.0\" y=\"0.0\" z=\"-5.0\"/>"))
    }

    @Test func compareReportsDifferencesAndExitsOne() async throws {
        let directory = scratchDirectory()
        let original = GSSABinary.example("fenics-ire/definition.xml")
        let changed = directory.appendingPathComponent("changed.xml")
        try (try String(contentsOfFile: original, encoding: .utf8))
            .replacingOccurrences(of: "value=\"[[1, 2, 1500.0]]\"", with: "value=\"[[1, 2, 1800.0]]\"")
            .replacingOccurrences(of: "format=\"zone\"", with: "format=\"surface\"")
            .write(to: changed, atomically: true, encoding: .utf8)
        let result = try await GSSABinary.run(["compare", original, changed.path])
        #expect(result.status == 1)
        #expect(result.stdout.split(separator: "\n") == [
            "Parameter CONSTANT_IRE_NEEDLEPAIR_VOLTAGE: values differ - [[1, 2, 1500.0]] // [[1, 2, 1800.0]]",
            "Region: for ID tumour-1, format fields differ zone // surface",
        ])
        let same = try await GSSABinary.run(["compare", original, original, "--json"])
        #expect(same.status == 0)
        let report = try #require(JSONSerialization.jsonObject(with: Data(same.stdout.utf8)) as? [String: Any])
        #expect(report["equal"] as? Bool == true)
    }

    @Test func familiesListsWorkflowAndImage() async throws {
        let result = try await GSSABinary.run(["families", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let listing = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let families = try #require(listing["families"] as? [[String: String]])
        #expect(families.map { $0["name"]! } == ["elmer-libnuma", "fenics", "gmsh-bioheat", "python-demo"])
        #expect(families.first { $0["name"] == "fenics" }?["workflow"] == "docker+cgal")
        #expect(families.first { $0["name"] == "python-demo" }?["image"] == "gssa/python:bookworm")
        let text = try await GSSABinary.run(["families"])
        #expect(text.stdout.contains("fenics"))
        #expect(text.stdout.contains("docker+cgal"))
    }
}
