import ArgumentParser
import Families
import Foundation
import GSSA

/// `gssa gssf DEF.xml`: print the GSSF-XML a mesher family would mesh from.
struct GSSFCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gssf", abstract: "Print the GSSF-XML meshing configuration for a definition.")

    @Argument(help: "The GSSA-XML definition.") var definition: String
    @OptionGroup var options: CommonOptions

    func run() async throws {
        let parsed = try loadDefinition(definition)
        let family = try options.registry().family(for: parsed)
        let xml: String
        if let elmer = family as? ElmerLibNumaFamily {
            xml = String(decoding: try elmer.additionalFiles(for: parsed).first!.contents, as: UTF8.self)
        } else if let mesher = family as? any MesherGSSF {
            xml = try mesher.gssfXML(for: parsed)
        } else {
            throw GSSAError.client("family \(family.name) does not describe its meshing with GSSF-XML")
        }
        if options.json {
            CLIOutput.printJSON(["family": family.name, "xml": xml])
        } else {
            print(xml, terminator: "")
        }
    }
}
