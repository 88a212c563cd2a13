import ArgumentParser
import Families
import Foundation
import GSSA
import MesherCGAL

#if canImport(Glibc)
import Glibc
#endif

/// `gssa mesh`: labelled volumetric meshing on the host with CGAL (issue 3).
///
/// Arguments are parsed by hand so that the original `mesher_cgal` flags (`--organ FILE:ID`,
/// `--zones FILE:ID:CL:PRIORITY:X_Y_Z_R_I`, `-c X Y Z` with negative numbers, …) work unchanged
/// next to gssa's own options.
struct MeshCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mesh",
        abstract: "Mesh a labelled domain with CGAL and write Gmsh MSH.",
        discussion: """
            gssa mesh SETTINGS.xml --out DIR [--format msh22|msh41] [--binary] [--threads N] [--max-cells N] [--volume-mesher hxt|cgal] [--no-optimise] [--quality-retries N] [--optimise-steps N] [--optimise-time S] [--json] [--plan]
            gssa mesh DEF.xml [--inputs DIR] --out DIR          (GSSA-XML: configure the family, then mesh)
            gssa mesh --batch FILE... --out DIR [-j N]         (one sub-folder per item, summary table)
            gssa mesh --organ FILE:ID [--zones FILE:ID[:CL[:PRIORITY[:X_Y_Z_R_I]]] ...] [--vessels FILE:ID ...]
                      [--needles FILE:ID ...] [--nearfield L] [--farfield L] [--zonefield L] [--granularity G]
                      [--bounding_radius R] [--centre X Y Z] [--centre_radius R] [--dense_centre]
                      [--mark_zone_boundaries] [--tissueid N] [--output_prefix NAME] --out DIR
                      (flags of the original mesher_cgal)
            Writes DIR/<name>.msh, DIR/mesh_labelling.yml and DIR/mesh_report.json.
            --plan: mesh nothing; write the resolved settings (regions, library needles as cylinders, sizes)
            to DIR/mesh_plan.json and print the size field's estimate of the tetrahedron count.
            --volume-mesher: CGAL meshes the labelled surfaces; gmsh's HXT fills the volumes (hxt, the default)
            or CGAL does (cgal, with perturb and exude). --threads: default all cores. With hxt the same input
            and settings give the same mesh bit for bit, whatever --threads says. With cgal only --threads 1 does
            (optimisation stops at the 10° target or after --optimise-steps vertex moves, default one per
            vertex); --optimise-time S gives each CGAL optimiser a wall-clock budget instead (not reproducible).
            --quality-retries N (hxt, default 4, 0 turns it off): when the mesh has tetrahedra under 10°, mesh
            again with up to N other surface criteria from a fixed list and keep the first mesh without such
            tetrahedra, else the best (mesh_report.json: tries, facetAngle, facetDistanceRatio).
            """)

    @Argument(parsing: .captureForPassthrough, help: "Settings file(s) and options (see discussion).")
    var arguments: [String] = []

    struct Options {
        var files: [String] = []
        var out: String?
        var inputs: String?
        var output = MeshOutputOptions()
        var threads: Int?
        var maxCells: Int?
        var optimise = true
        var volumeMesher: VolumeMesher?
        var optimiseTime: Double?
        var optimiseSteps: Int?
        var qualityRetries: Int?
        var json = false
        var plan = false
        var batch = false
        var jobs = 1
        var flags = MesherCGALFlags()
    }

    func run() async throws {
        if arguments.contains("--help") || arguments.contains("-h") {
            print(GSSACommand.helpMessage(for: MeshCommand.self))
            return
        }
        let options = try Self.parse(arguments)
        if options.batch {
            let failed = try await BatchMesh(options: options).run()
            if failed > 0 { throw ExitCode(1) }
            return
        }
        if options.plan {
            let plan = try Self.planOne(options)
            if options.json {
                CLIOutput.printJSON(plan)
            } else {
                print("wrote \(plan.file): \(plan.settings.regions.count) regions; about \(plan.estimatedTetrahedra) tetrahedra (nothing meshed)")
            }
            return
        }
        let result = try await Self.meshOne(options)
        // On stderr whatever the output format, so a pipeline sees it too.
        for warning in result.report.warnings ?? [] {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        if options.json {
            CLIOutput.printJSON(result)
        } else {
            let r = result.report
            print("wrote \(result.mesh.path): \(r.tetrahedra) tetrahedra, \(r.vertices) vertices, \(r.triangles) boundary triangles")
            print("  subdomains: " + r.subdomains.map { "\($0.id) (\($0.name)): \($0.tetrahedra) tets, volume \(String(format: "%.4g", $0.volume))" }.joined(separator: "; "))
            print("  boundaries: " + r.boundaries.map { "\($0.id) (\($0.name)): \($0.triangles)" }.joined(separator: "; "))
            print(String(format: "  min dihedral %.1f°, max radius-edge %.2f, %.2f s total",
                         r.quality.minDihedral, r.quality.maxRadiusEdgeRatio, r.timings.map(\.seconds).reduce(0, +)))
            if let tries = r.tries, tries > 1, let angle = r.facetAngle, let distance = r.facetDistanceRatio {
                print(String(format: "  %d meshes made for the 10° target; kept: facet angle %g°, facet distance %g × size",
                             tries, angle, distance))
            }
        }
    }

    static func parse(_ arguments: [String]) throws(GSSAError) -> Options {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        var o = Options()
        o.flags = try MesherCGALFlags.parse(arguments, relativeTo: cwd)
        let rest = o.flags.remaining
        var i = 0
        func value(_ flag: String) throws(GSSAError) -> String {
            guard i + 1 < rest.count else { throw GSSAError.client("\(flag) needs a value") }
            i += 1
            return rest[i]
        }
        func positive(_ flag: String) throws(GSSAError) -> Int {
            let raw = try value(flag)
            guard let v = Int(raw), v > 0 else { throw GSSAError.client("\(flag) expects a positive integer, got '\(raw)'") }
            return v
        }
        while i < rest.count {
            let arg = rest[i]
            switch arg {
            case "--out", "-o": o.out = try value(arg)
            case "--inputs": o.inputs = try value(arg)
            case "--format":
                let raw = try value(arg)
                guard let format = MeshOutputOptions.Format(rawValue: raw) else {
                    throw GSSAError.client("--format must be msh22 or msh41, got '\(raw)'")
                }
                o.output.format = format
            case "--binary": o.output.binary = true
            case "--threads": o.threads = try positive(arg)
            case "--max-cells": o.maxCells = try positive(arg)
            case "--no-optimise", "--no-optimize": o.optimise = false
            case "--volume-mesher":
                let raw = try value(arg)
                guard let mesher = VolumeMesher(rawValue: raw) else {
                    throw GSSAError.client("--volume-mesher must be hxt or cgal, got '\(raw)'")
                }
                o.volumeMesher = mesher
            case "--optimise-time":
                let raw = try value(arg)
                guard let v = Double(raw), v >= 0 else { throw GSSAError.client("--optimise-time expects seconds, got '\(raw)'") }
                o.optimiseTime = v
            case "--optimise-steps", "--optimize-steps": o.optimiseSteps = try positive(arg)
            case "--quality-retries":
                let raw = try value(arg)
                guard let v = Int(raw), v >= 0 else {
                    throw GSSAError.client("--quality-retries expects a count (0 or more), got '\(raw)'")
                }
                o.qualityRetries = v
            case "--json": o.json = true
            case "--plan": o.plan = true
            case "--batch": o.batch = true
            case "-j", "--jobs": o.jobs = try positive(arg)
            default:
                if arg.hasPrefix("-") { throw GSSAError.client("unknown option \(arg) for gssa mesh (see gssa mesh --help)") }
                o.files.append(arg)
            }
            i += 1
        }
        guard o.out != nil else { throw GSSAError.client("gssa mesh needs --out DIR") }
        if o.batch {
            guard !o.files.isEmpty else { throw GSSAError.client("--batch needs at least one settings file") }
            guard !o.flags.used else { throw GSSAError.client("--batch takes settings files, not mesher_cgal flags") }
            guard !o.plan else { throw GSSAError.client("--plan takes one item, not --batch") }
        } else if o.flags.used {
            guard o.files.isEmpty else { throw GSSAError.client("give either a settings file or mesher_cgal flags, not both") }
        } else {
            guard o.files.count == 1 else {
                throw GSSAError.client(o.files.isEmpty ? "gssa mesh needs a settings file or --organ/--zones flags"
                                                      : "gssa mesh takes one settings file (use --batch for several)")
            }
        }
        return o
    }

    /// Meshes one item: GSSF settings, GSSA-XML definition, or original flags.
    static func meshOne(_ o: Options) async throws -> MeshResult {
        let settings = try resolvedSettings(o)
        return try await CGALMesher().mesh(settings, into: URL(fileURLWithPath: o.out!), options: o.output)
    }

    /// What `--plan` writes and prints: the resolved settings and the size field's estimate.
    struct Plan: Encodable {
        var file: String
        var estimatedTetrahedra: Int
        var settings: MeshSettings
    }

    /// Resolves one item as ``meshOne`` would (library needles become cylinders, files absolute
    /// paths), writes it to DIR/mesh_plan.json and estimates the tetrahedron count, without
    /// meshing: a cheap look at what a long run would mesh, and the input of the raw-CGAL
    /// baseline in `Benchmarks/mesh`.
    static func planOne(_ o: Options) throws(GSSAError) -> Plan {
        let settings = try resolvedSettings(o)
        let out = URL(fileURLWithPath: o.out!)
        let estimate = try CGALMesher().estimate(settings)
        let file = out.appendingPathComponent("mesh_plan.json")
        let plan = Plan(file: file.path, estimatedTetrahedra: estimate, settings: settings)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            try encoder.encode(plan).write(to: file, options: .atomic)
        } catch {
            throw GSSAError.server("cannot write \(file.path): \(error.localizedDescription)")
        }
        return plan
    }

    /// The settings of one item with the command line's overrides applied.
    static func resolvedSettings(_ o: Options) throws(GSSAError) -> MeshSettings {
        let out = URL(fileURLWithPath: o.out!)
        var settings: MeshSettings
        if o.flags.used {
            settings = o.flags.settings
        } else {
            settings = try loadSettings(o.files[0], inputs: o.inputs, out: out)
        }
        if let threads = o.threads { settings.threads = threads }
        if let maxCells = o.maxCells { settings.maxCells = maxCells }
        if !o.optimise { settings.optimise = false }
        if let mesher = o.volumeMesher { settings.volumeMesher = mesher }
        if let t = o.optimiseTime { settings.optimiseTimeLimit = t }
        if let steps = o.optimiseSteps { settings.optimiseMaxSteps = steps }
        if let retries = o.qualityRetries { settings.qualityRetries = retries }
        return settings
    }

    /// GSSF settings directly, or a GSSA-XML definition configured through its family first.
    static func loadSettings(_ path: String, inputs: String?, out: URL) throws(GSSAError) -> MeshSettings {
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: url.path) else { throw GSSAError.client("settings file not found: \(path)") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw GSSAError.client("cannot read \(path)") }
        let root = try XMLTreeReader.read(data)
        let reader = try GSSFSettingsReader()
        if root.name == "simulationDefinition" {
            let definition = try SimulationDefinition.parse(contentsOf: url)
            let family = try FamilyRegistry.standard().family(for: definition)
            let configuration = try family.configure(definition)
            let configured = out.appendingPathComponent("configured")
            let source = URL(fileURLWithPath: inputs ?? url.deletingLastPathComponent().path)
            _ = try configuration.write(to: configured, inputs: source)
            let settingsURL = configured.appendingPathComponent("input/settings.xml")
            guard FileManager.default.fileExists(atPath: settingsURL.path) else {
                throw GSSAError.client("family \(family.name) does not mesh with CGAL (it writes no input/settings.xml)")
            }
            return try reader.read(contentsOf: settingsURL)
        }
        return try reader.read(data, settingsFile: url)
    }
}
