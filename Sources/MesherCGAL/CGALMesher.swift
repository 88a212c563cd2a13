import CGALMesherCore
import Foundation
import GSSA

/// The real ``Mesher``: CGAL Mesh_3 through the C core, MSH through the gmsh API.
///
/// Meshing is CPU-bound and blocking, so it runs on its own thread rather than on the Swift
/// concurrency pool. Files are written under temporary names and renamed, so a crash or a
/// cancelled batch never leaves a half-written MSH behind.
public struct CGALMesher: Mesher {
    /// Monte-Carlo samples for the `--max-cells` estimate.
    public var estimateSamples: Int32 = 20_000

    public init() {}

    public func mesh(_ settings: MeshSettings, into directory: URL, options: MeshOutputOptions) async throws -> MeshResult {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<MeshResult, any Error>) in
            let thread = Thread {
                do {
                    continuation.resume(returning: try self.meshSynchronously(settings, into: directory, options: options))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
    }

    /// Estimates the tetrahedron count without meshing (loads and checks the inputs).
    public func estimate(_ settings: MeshSettings) throws(GSSAError) -> Int {
        let core = try Core(settings)
        defer { core.free() }
        return Int(gssa_mesher_estimate_cells(core.handle, estimateSamples * 5))
    }

    /// Blocking variant, for callers that already own a thread.
    public func meshSynchronously(_ settings: MeshSettings, into directory: URL, options: MeshOutputOptions) throws(GSSAError) -> MeshResult {
        let core = try Core(settings)
        defer { core.free() }
        let estimate = gssa_mesher_estimate_cells(core.handle, estimateSamples)
        if estimate <= 0 {
            throw GSSAError.model("the labelled domain is empty: no point lies inside the organ/extent and outside every hole")
        }
        if estimate > Double(settings.maxCells) {
            throw GSSAError.client(
                "the size field would give about \(Int(estimate)) tetrahedra, over --max-cells \(settings.maxCells); "
                    + "raise the length scales (nearfield \(settings.nearField), farfield \(settings.farField), "
                    + "zonefield \(settings.zoneField)) or --max-cells")
        }
        try core.check(gssa_mesher_run(core.handle))

        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw GSSAError.server("cannot create output directory \(directory.path): \(error.localizedDescription)")
        }
        let mshURL = directory.appendingPathComponent("\(settings.name).msh")
        // gmsh picks the format from the extension, so the temporary name keeps ".msh".
        let temporary = directory.appendingPathComponent(".\(settings.name).partial-\(UUID().uuidString).msh")
        let status = gssa_mesher_write_msh(core.handle, temporary.path, options.format.version, options.binary ? 1 : 0)
        guard status == GSSA_MESH_OK else {
            try? FileManager.default.removeItem(at: temporary)
            try core.check(status)
            throw GSSAError.server("MSH writing failed")
        }
        try Self.replace(mshURL, with: temporary)

        let json = core.reportJSON()
        var report: MeshReport
        do {
            report = try JSONDecoder().decode(MeshReport.self, from: Data(json.utf8))
        } catch {
            throw GSSAError.server("mesher report is not valid JSON: \(error)")
        }
        report.estimatedTetrahedra = Int(estimate)
        report.warnings = MeshQualityGate.warnings(for: report.quality).map { warning in
            guard let tries = report.tries, tries > 1 else { return warning }
            return warning + " (this is the best of \(tries) meshes made with different surface criteria)"
        }
        if let failure = report.hxtFailure {
            report.warnings?.append("HXT could not fill the volumes (\(failure)); CGAL meshed them instead")
        }
        if let dropped = report.droppedTriangles, dropped > 0 {
            report.warnings?.append("\(dropped) surface triangles bound pockets that HXT left without tetrahedra; "
                                    + "they were dropped (try --volume-mesher cgal if a region is missing)")
        }

        let labellingURL = directory.appendingPathComponent("mesh_labelling.yml")
        try Self.writeAtomically(MeshLabelling(settings: settings, extentID: Self.extentID(settings, report)).yaml, to: labellingURL)
        let reportURL = directory.appendingPathComponent("mesh_report.json")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let reportData = (try? encoder.encode(report)) ?? Data(json.utf8)
        try Self.writeAtomically(String(decoding: reportData, as: UTF8.self), to: reportURL)
        return MeshResult(mesh: mshURL, labelling: labellingURL, reportFile: reportURL, report: report)
    }

    static func extentID(_ settings: MeshSettings, _ report: MeshReport) -> Int? {
        if let id = settings.extentID, id > 0 { return id }
        return report.boundaries.first { $0.name == "extent" }?.id ?? MeshLabelling.automaticExtentID(settings)
    }

    static func replace(_ destination: URL, with temporary: URL) throws(GSSAError) {
        if rename(temporary.path, destination.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw GSSAError.server("cannot move \(temporary.lastPathComponent) to \(destination.path): \(reason)")
        }
    }

    static func writeAtomically(_ text: String, to url: URL) throws(GSSAError) {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(UUID().uuidString)")
        do {
            try Data(text.utf8).write(to: temporary)
        } catch {
            throw GSSAError.server("cannot write \(url.path): \(error.localizedDescription)")
        }
        try replace(url, with: temporary)
    }
}

/// Owns one `gssa_mesher` handle with the settings' regions loaded and prepared.
extension CGALMesher {
    /// A self-check of the core's fast point-in-solid test against CGAL's ray test, for tests:
    /// how many of the questions the grid answered itself, and how many of those it got wrong.
    func checkInsideTest(_ settings: MeshSettings, points: [SIMD3<Double>]) throws(GSSAError) -> (decided: Int, wrong: Int) {
        let core = try Core(settings)
        defer { core.free() }
        let flat = points.flatMap { [$0.x, $0.y, $0.z] }
        var decided = 0
        let wrong = flat.withUnsafeBufferPointer { gssa_mesher_check_inside(core.handle, $0.baseAddress, points.count, &decided) }
        return (decided, wrong)
    }

    /// A self-check of the size field's bounded distance query against the exact distance, for
    /// tests: how many questions had a distance at or beyond `limit`, and how many answers were wrong.
    func checkDistanceTest(_ settings: MeshSettings, points: [SIMD3<Double>], limit: Double) throws(GSSAError) -> (beyond: Int, wrong: Int) {
        let core = try Core(settings)
        defer { core.free() }
        let flat = points.flatMap { [$0.x, $0.y, $0.z] }
        var beyond = 0
        let wrong = flat.withUnsafeBufferPointer { gssa_mesher_check_distance(core.handle, $0.baseAddress, points.count, limit, &beyond) }
        return (beyond, wrong)
    }
}

private final class Core {
    let handle: OpaquePointer

    init(_ settings: MeshSettings) throws(GSSAError) {
        try settings.validate()
        var params = gssa_mesh_params()
        gssa_mesh_params_default(&params)
        if let centre = settings.centre {
            params.centre = (centre.x, centre.y, centre.z)
            params.has_centre = 1
        }
        params.centre_radius = settings.centreRadius
        params.zone_radius = settings.zoneRadius
        params.tissue_id = Int32(settings.tissueID)
        params.extent_id = Int32(settings.extentID ?? -1)
        params.bounding_radius = settings.boundingRadius ?? 0
        params.near_field = settings.nearField
        params.far_field = settings.farField
        params.zone_field = settings.zoneField
        params.granularity = settings.granularity
        params.mark_zone_boundaries = settings.markZoneBoundaries ? 1 : 0
        params.solid_zone = settings.solidZone ? 1 : 0
        params.boundary_tree = settings.boundaryTree ? 1 : 0
        params.omit_needle_tree = settings.omitNeedleTree ? 1 : 0
        params.omit_zone_tree = settings.omitZoneTree ? 1 : 0
        params.dense_centre = settings.denseCentre ? 1 : 0
        params.optimise = settings.optimise ? 1 : 0
        params.volume_mesher = Int32(settings.volumeMesher == .hxt ? GSSA_VOLUME_HXT.rawValue : GSSA_VOLUME_CGAL.rawValue)
        params.quality_retries = Int32(max(0, min(settings.qualityRetries, 1000)))
        params.optimise_time_limit = settings.optimiseTimeLimit
        params.optimise_max_steps = Int64(max(0, settings.optimiseMaxSteps))
        params.threads = Int32(max(1, settings.threads))
        guard let handle = gssa_mesher_new(&params) else { throw GSSAError.server("cannot allocate the mesher") }
        self.handle = handle
        do {
            for region in settings.regions { try add(region, settings: settings) }
            try check(gssa_mesher_prepare(handle))
        } catch {
            gssa_mesher_free(handle)
            throw error
        }
    }

    func free() { gssa_mesher_free(handle) }

    /// The report JSON, copied into memory we own (sized by a first call).
    func reportJSON() -> String {
        let length = gssa_mesher_report_json(handle, nil, 0)
        var buffer = [CChar](repeating: 0, count: length + 1)
        _ = buffer.withUnsafeMutableBufferPointer { gssa_mesher_report_json(handle, $0.baseAddress, $0.count) }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func add(_ region: MeshRegion, settings: MeshSettings) throws(GSSAError) {
        let role: gssa_role = switch region.role {
        case .organ: GSSA_ROLE_ORGAN
        case .extent: GSSA_ROLE_EXTENT
        case .vessel: GSSA_ROLE_VESSEL
        case .needle: GSSA_ROLE_NEEDLE
        case .zone: GSSA_ROLE_ZONE
        }
        let cl = region.characteristicLength ?? 0
        let call = { (activity: UnsafePointer<gssa_activity>?) -> gssa_status in
            switch region.geometry {
            case .surface(let url):
                return gssa_mesher_add_surface(self.handle, role, url.path, region.name, Int32(region.id), cl, Int32(region.priority), activity)
            case .cylinder(let from, let to, let radius):
                var a = [from.x, from.y, from.z], b = [to.x, to.y, to.z]
                return gssa_mesher_add_cylinder(self.handle, role, &a, &b, radius, region.name, Int32(region.id), cl, Int32(region.priority), activity)
            }
        }
        let status: gssa_status
        if let activity = region.activity {
            var c = gssa_activity(offset: (activity.offset.x, activity.offset.y, activity.offset.z), radius: activity.radius,
                                  inactive_id: Int32(activity.inactiveID))
            status = withUnsafePointer(to: &c) { call($0) }
        } else {
            status = call(nil)
        }
        try check(status, region: region.name)
    }

    func check(_ status: gssa_status, region: String? = nil) throws(GSSAError) {
        guard status != GSSA_MESH_OK else { return }
        let message = String(cString: gssa_mesher_error(handle))
        let element = region.map { "<region name=\"\($0)\">" }
        switch status {
        case GSSA_MESH_BAD_INPUT: throw GSSAError.client(message, element: element)
        case GSSA_MESH_EMPTY: throw GSSAError.model(message)
        default: throw GSSAError.server(message)
        }
    }
}

extension MeshSettings {
    /// Input checks that do not need CGAL: sizes, ids, files.
    public func validate() throws(GSSAError) {
        for (field, value) in [("nearfield", nearField), ("farfield", farField), ("zonefield", zoneField), ("granularity", granularity)] {
            guard value > 0, value.isFinite else {
                throw GSSAError.client("\(field) must be a positive length, got \(value)", attribute: field)
            }
        }
        if let needleZoneField, !(needleZoneField > 0) {
            throw GSSAError.client("needlezonefield must be a positive length, got \(needleZoneField)", attribute: "needlezonefield")
        }
        guard centreRadius >= 0 else { throw GSSAError.client("centre radius must not be negative", attribute: "radius") }
        guard threads >= 1 else { throw GSSAError.client("threads must be at least 1, got \(threads)") }
        guard maxCells > 0 else { throw GSSAError.client("--max-cells must be positive, got \(maxCells)") }
        guard SafePath.isSafeComponent(name) else { throw GSSAError.client("output name '\(name)' is not a plain file name") }
        guard regions.contains(where: { $0.role == .organ || $0.role == .extent }) || centre != nil else {
            throw GSSAError.client("no organ, no extent surface and no centre: nothing defines the domain")
        }
        for region in regions {
            if case .surface(let url) = region.geometry, !FileManager.default.fileExists(atPath: url.path) {
                throw GSSAError.client("surface file not found: \(url.path)", element: "<region name=\"\(region.name)\">", attribute: "input")
            }
            if let cl = region.characteristicLength, !(cl > 0) {
                throw GSSAError.client("characteristic length of '\(region.name)' must be positive, got \(cl)",
                                       element: "<zone region=\"\(region.name)\">", attribute: "characteristic_length")
            }
        }
    }
}
