import Foundation

@testable import MesherCGAL

/// Closed test surfaces written by the tests themselves: icospheres, ellipsoids, capped
/// cylinders, plus deliberately broken ones (open, inverted, self-intersecting).
enum TestSurfaces {
    typealias Mesh = (points: [SIMD3<Double>], triangles: [(Int, Int, Int)])

    static func icosphere(radius: Double, centre: SIMD3<Double> = .zero, level: Int = 4, axes: SIMD3<Double>? = nil) -> Mesh {
        let t = (1 + 5.0.squareRoot()) / 2
        var v: [SIMD3<Double>] = [
            [-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t], [0, -1, -t], [0, 1, -t],
            [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1],
        ].map { normalize($0) }
        var f: [(Int, Int, Int)] = [
            (0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9), (5, 11, 4), (11, 10, 2), (10, 7, 6),
            (7, 1, 8), (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8), (3, 8, 9), (4, 9, 5), (2, 4, 11), (6, 2, 10),
            (8, 6, 7), (9, 8, 1),
        ]
        for _ in 0..<level {
            var cache: [Int: Int] = [:]
            func mid(_ a: Int, _ b: Int) -> Int {
                let key = min(a, b) * 1_000_000 + max(a, b)
                if let i = cache[key] { return i }
                v.append(normalize((v[a] + v[b]) / 2))
                cache[key] = v.count - 1
                return v.count - 1
            }
            var next: [(Int, Int, Int)] = []
            for (a, b, c) in f {
                let ab = mid(a, b), bc = mid(b, c), ca = mid(c, a)
                next += [(a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca)]
            }
            f = next
        }
        let scale = axes ?? SIMD3(repeating: radius)
        return (v.map { centre + $0 * scale }, f)
    }

    static func cylinder(radius: Double, from a: SIMD3<Double>, to b: SIMD3<Double>, segments: Int = 48, caps: Bool = true) -> Mesh {
        let axis = b - a
        let u = normalize(axis)
        let helper: SIMD3<Double> = abs(u.x) < 0.9 ? [1, 0, 0] : [0, 1, 0]
        let e1 = normalize(cross(u, helper))
        let e2 = cross(u, e1)
        var p: [SIMD3<Double>] = []
        for end in [a, b] {
            for k in 0..<segments {
                let th = 2 * Double.pi * Double(k) / Double(segments)
                p.append(end + radius * (cos(th) * e1 + sin(th) * e2))
            }
        }
        p.append(a)
        p.append(b)
        let n = segments, ca = 2 * n, cb = 2 * n + 1
        var f: [(Int, Int, Int)] = []
        for k in 0..<n {
            let k1 = (k + 1) % n
            f += [(k, k1, n + k1), (k, n + k1, n + k)]
            if caps { f += [(ca, k1, k), (cb, n + k, n + k1)] }
        }
        return (p, f)
    }

    /// An axis-aligned box, triangles facing outwards: its faces lie on planes that grid and ray
    /// tests can meet exactly.
    static func box(from lo: SIMD3<Double>, to hi: SIMD3<Double>) -> Mesh {
        var p: [SIMD3<Double>] = []
        for i in 0..<8 { p.append([i & 1 == 0 ? lo.x : hi.x, i & 2 == 0 ? lo.y : hi.y, i & 4 == 0 ? lo.z : hi.z]) }
        let f: [(Int, Int, Int)] = [
            (0, 2, 3), (0, 3, 1), (4, 5, 7), (4, 7, 6), (0, 1, 5), (0, 5, 4),
            (2, 6, 7), (2, 7, 3), (0, 4, 6), (0, 6, 2), (1, 3, 7), (1, 7, 5),
        ]
        return (p, f)
    }

    static func inverted(_ m: Mesh) -> Mesh { (m.points, m.triangles.map { ($0.0, $0.2, $0.1) }) }

    static func union(_ a: Mesh, _ b: Mesh) -> Mesh {
        (a.points + b.points, a.triangles + b.triangles.map { ($0.0 + a.points.count, $0.1 + a.points.count, $0.2 + a.points.count) })
    }

    static func writeBinarySTL(_ m: Mesh, to url: URL) throws {
        var data = Data("gssa test surface".utf8)
        data.append(Data(repeating: 0x20, count: 80 - data.count))
        func u32(_ x: UInt32) { withUnsafeBytes(of: x.littleEndian) { data.append(contentsOf: $0) } }
        func f32(_ x: Double) { withUnsafeBytes(of: Float(x).bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        u32(UInt32(m.triangles.count))
        for (a, b, c) in m.triangles {
            for _ in 0..<3 { f32(0) }
            for i in [a, b, c] { f32(m.points[i].x); f32(m.points[i].y); f32(m.points[i].z) }
            data.append(contentsOf: [0, 0])
        }
        try data.write(to: url)
    }

    static func writeASCIISTL(_ m: Mesh, to url: URL) throws {
        var s = "solid test\n"
        for (a, b, c) in m.triangles {
            s += " facet normal 0 0 0\n  outer loop\n"
            for i in [a, b, c] { s += "   vertex \(m.points[i].x) \(m.points[i].y) \(m.points[i].z)\n" }
            s += "  endloop\n endfacet\n"
        }
        s += "endsolid test\n"
        try s.write(to: url, atomically: true, encoding: .utf8)
    }

    static func writeOFF(_ m: Mesh, to url: URL) throws {
        var s = "OFF\n\(m.points.count) \(m.triangles.count) 0\n"
        for p in m.points { s += "\(p.x) \(p.y) \(p.z)\n" }
        for (a, b, c) in m.triangles { s += "3 \(a) \(b) \(c)\n" }
        try s.write(to: url, atomically: true, encoding: .utf8)
    }

    /// Settings with `surface` (written as binary STL into `scratch`) as the only region, the
    /// organ, at size 1 everywhere: what the core's self-checks need.
    static func organOnlySettings(_ scratch: Scratch, _ surface: Mesh) throws -> MeshSettings {
        let organ = scratch.file("organ.stl")
        try writeBinarySTL(surface, to: organ)
        var s = MeshSettings()
        s.nearField = 1
        s.farField = 1
        s.zoneField = 1
        s.boundingRadius = nil
        s.regions = [MeshRegion(name: "organ", role: .organ, geometry: .surface(organ), id: 2)]
        return s
    }

    static func normalize(_ v: SIMD3<Double>) -> SIMD3<Double> { v / (v * v).sum().squareRoot() }
    static func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
        [a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x]
    }
}

/// A scratch directory per test.
struct Scratch {
    let url: URL
    init(_ name: String = #function) throws {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        url = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-mesher-\(safe)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
}

/// Minimal MSH 2.2 ASCII reader, only for geometric assertions (counts and tags are also checked
/// with gmsh and meshio in IndependentReaderTests).
struct MshFile {
    var nodes: [Int: SIMD3<Double>] = [:]
    var tets: [(tag: Int, nodes: [Int])] = []
    var triangles: [(tag: Int, nodes: [Int])] = []

    init(contentsOf url: URL) throws {
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var i = 0
        while i < lines.count {
            if lines[i] == "$Nodes" {
                let n = Int(lines[i + 1])!
                for k in 0..<n {
                    let f = lines[i + 2 + k].split(separator: " ")
                    nodes[Int(f[0])!] = SIMD3(Double(f[1])!, Double(f[2])!, Double(f[3])!)
                }
                i += n + 2
            } else if lines[i] == "$Elements" {
                let n = Int(lines[i + 1])!
                for k in 0..<n {
                    let f = lines[i + 2 + k].split(separator: " ").map { Int($0)! }
                    let type = f[1], ntags = f[2], tag = f[3]
                    let ns = Array(f[(3 + ntags)...])
                    if type == 4 { tets.append((tag, ns)) } else if type == 2 { triangles.append((tag, ns)) }
                }
                i += n + 2
            } else {
                i += 1
            }
        }
    }

    func centroid(_ ns: [Int]) -> SIMD3<Double> { ns.map { nodes[$0]! }.reduce(.zero, +) / Double(ns.count) }

    func volume(_ ns: [Int]) -> Double {
        let a = nodes[ns[0]]!, b = nodes[ns[1]]!, c = nodes[ns[2]]!, d = nodes[ns[3]]!
        let u = b - a, v = c - a, w = d - a
        return (u.x * (v.y * w.z - v.z * w.y) - u.y * (v.x * w.z - v.z * w.x) + u.z * (v.x * w.y - v.y * w.x)) / 6
    }

    func volume(tag: Int) -> Double { tets.filter { $0.tag == tag }.map { volume($0.nodes) }.reduce(0, +) }
}

