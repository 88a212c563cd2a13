// The mesh report: counts, labels and quality, from the plain arrays (no CGAL), so that the
// same figures can be computed for any mesh and this file compiles in a second.
#include "mesher_internal.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace gssa_mesher_internal {

namespace {

constexpr double kDegrees = 180.0 / 3.14159265358979323846;

struct Vec {
    double x, y, z;
    Vec operator-(const Vec &o) const { return {x - o.x, y - o.y, z - o.z}; }
    double dot(const Vec &o) const { return x * o.x + y * o.y + z * o.z; }
    Vec cross(const Vec &o) const { return {y * o.z - z * o.y, z * o.x - x * o.z, x * o.y - y * o.x}; }
    double norm2() const { return dot(*this); }
};

Vec node(const MeshArrays &m, std::size_t tag) {
    const double *c = &m.coords[3 * (tag - 1)];
    return {c[0], c[1], c[2]};
}

/// The cosines of the smallest and the largest of a tetrahedron's six dihedral angles: one
/// `acos` per extreme instead of six per tetrahedron (the report is built for every mesh).
void dihedral_cosine_extremes(const Vec p[4], double &cos_smallest, double &cos_largest) {
    static const int edges[6][4] = {{0, 1, 2, 3}, {0, 2, 1, 3}, {0, 3, 1, 2}, {1, 2, 0, 3}, {1, 3, 0, 2}, {2, 3, 0, 1}};
    cos_smallest = -1;
    cos_largest = 1;
    for (int e = 0; e < 6; ++e) {
        const Vec &a = p[edges[e][0]], &b = p[edges[e][1]], &c = p[edges[e][2]], &d = p[edges[e][3]];
        Vec ab = b - a;
        Vec n1 = ab.cross(c - a), n2 = ab.cross(d - a);
        // A degenerate face gives NaN, which the clamp turns into 1: a zero angle.
        double cosang = std::max(-1.0, std::min(1.0, n1.dot(n2) / std::sqrt(n1.norm2() * n2.norm2())));
        cos_smallest = std::max(cos_smallest, cosang);
        cos_largest = std::min(cos_largest, cosang);
    }
}

double degrees(double cosine) { return std::acos(cosine) * kDegrees; }

/// Circumradius over shortest edge.
double radius_edge_ratio(const Vec p[4]) {
    Vec a = p[1] - p[0], b = p[2] - p[0], c = p[3] - p[0];
    double det = a.dot(b.cross(c));
    Vec num = {0, 0, 0};
    Vec bc = b.cross(c), ca = c.cross(a), ab = a.cross(b);
    double la = a.norm2(), lb = b.norm2(), lc = c.norm2();
    num = {la * bc.x + lb * ca.x + lc * ab.x, la * bc.y + lb * ca.y + lc * ab.y, la * bc.z + lb * ca.z + lc * ab.z};
    double radius = std::sqrt(num.norm2()) / (2 * std::abs(det));
    double shortest = std::numeric_limits<double>::infinity();
    for (int i = 0; i < 4; ++i)
        for (int j = i + 1; j < 4; ++j) shortest = std::min(shortest, (p[i] - p[j]).norm2());
    return radius / std::sqrt(shortest);
}

double percentile(std::vector<double> &v, double q) {
    if (v.empty()) return 0;
    std::size_t k = std::min(v.size() - 1, std::size_t(q * double(v.size() - 1) + 0.5));
    std::nth_element(v.begin(), v.begin() + long(k), v.end());
    return v[k];
}

double finite(double x) { return std::isfinite(x) ? x : 0.0; }

std::string name_of(const std::map<int, std::string> &names, int id) {
    auto it = names.find(id);
    return it == names.end() ? std::string() : it->second;
}

} // namespace

std::string json_escape(const std::string &s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else out += c;
        }
    }
    return out;
}

std::size_t count_slivers(const MeshArrays &mesh, double bound, double &smallest) {
    const double cos_bound = std::cos(bound / kDegrees);
    double cos_worst = -1;
    std::size_t count = 0;
    for (std::size_t t = 0; t < mesh.tet_labels.size(); ++t) {
        Vec p[4];
        for (int i = 0; i < 4; ++i) p[i] = node(mesh, mesh.tets[4 * t + std::size_t(i)]);
        double cos_smallest, cos_largest;
        dihedral_cosine_extremes(p, cos_smallest, cos_largest);
        if (cos_smallest > cos_bound) ++count;
        cos_worst = std::max(cos_worst, cos_smallest);
    }
    smallest = mesh.tet_labels.empty() ? 180 : degrees(cos_worst);
    return count;
}

std::string mesh_report_json(const MeshArrays &mesh, const MeshNames &names,
                             const std::vector<std::pair<std::string, double>> &timings, int threads, bool tbb) {
    std::map<int, std::size_t> tet_count, tri_count;
    std::map<int, double> volume, area;
    std::map<int, std::vector<std::size_t>> tets_of; // label -> tetrahedron indices
    std::vector<double> min_dihedral;
    min_dihedral.reserve(mesh.tet_labels.size());
    double max_dihedral_cos = 1, max_radius_edge = 0, sum_radius_edge = 0;
    for (std::size_t t = 0; t < mesh.tet_labels.size(); ++t) {
        int label = mesh.tet_labels[t];
        Vec p[4];
        for (int i = 0; i < 4; ++i) p[i] = node(mesh, mesh.tets[4 * t + std::size_t(i)]);
        tets_of[label].push_back(t);
        tet_count[label]++;
        volume[label] += (p[1] - p[0]).dot((p[2] - p[0]).cross(p[3] - p[0])) / 6.0;
        double cos_smallest, cos_largest;
        dihedral_cosine_extremes(p, cos_smallest, cos_largest);
        min_dihedral.push_back(degrees(cos_smallest));
        max_dihedral_cos = std::min(max_dihedral_cos, cos_largest);
        double q = radius_edge_ratio(p);
        max_radius_edge = std::max(max_radius_edge, q);
        sum_radius_edge += q;
    }
    double max_dihedral = mesh.tet_labels.empty() ? 0 : degrees(max_dihedral_cos);
    for (std::size_t t = 0; t < mesh.triangle_labels.size(); ++t) {
        int label = mesh.triangle_labels[t];
        Vec a = node(mesh, mesh.triangles[3 * t]), b = node(mesh, mesh.triangles[3 * t + 1]),
            c = node(mesh, mesh.triangles[3 * t + 2]);
        tri_count[label]++;
        area[label] += 0.5 * std::sqrt((b - a).cross(c - a).norm2());
    }
    // Vertices per label: one pass per label over its own tetrahedra, marking each node with the
    // pass number, so a node shared by several labels is counted once in each.
    std::map<int, std::size_t> label_vertices;
    std::vector<std::size_t> mark(mesh.coords.size() / 3 + 1, 0);
    std::size_t pass = 0;
    for (auto &[label, list] : tets_of) {
        ++pass;
        std::size_t count = 0;
        for (std::size_t t : list)
            for (int i = 0; i < 4; ++i) {
                std::size_t tag = mesh.tets[4 * t + std::size_t(i)];
                if (mark[tag] != pass) {
                    mark[tag] = pass;
                    ++count;
                }
            }
        label_vertices[label] = count;
    }

    std::ostringstream js;
    js.precision(10);
    js << "{\"vertices\":" << mesh.coords.size() / 3 << ",\"tetrahedra\":" << mesh.tet_labels.size()
       << ",\"triangles\":" << mesh.triangle_labels.size() << ",\"subdomains\":[";
    bool first = true;
    for (auto &[label, n] : tet_count) {
        js << (first ? "" : ",") << "{\"id\":" << label << ",\"name\":\""
           << json_escape(name_of(names.subdomains, label)) << "\",\"tetrahedra\":" << n
           << ",\"vertices\":" << label_vertices[label] << ",\"volume\":" << finite(volume[label]) << "}";
        first = false;
    }
    js << "],\"boundaries\":[";
    first = true;
    for (auto &[label, n] : tri_count) {
        js << (first ? "" : ",") << "{\"id\":" << label << ",\"name\":\""
           << json_escape(name_of(names.boundaries, label)) << "\",\"triangles\":" << n
           << ",\"area\":" << finite(area[label]) << "}";
        first = false;
    }
    std::size_t slivers = std::size_t(std::count_if(min_dihedral.begin(), min_dihedral.end(), [](double d) { return d < kSliverDegrees; }));
    double lowest = min_dihedral.empty() ? 0 : *std::min_element(min_dihedral.begin(), min_dihedral.end());
    js << "],\"quality\":{\"min_dihedral\":" << finite(lowest) << ",\"max_dihedral\":" << finite(max_dihedral)
       << ",\"min_dihedral_p1\":" << finite(percentile(min_dihedral, 0.01))
       << ",\"min_dihedral_p5\":" << finite(percentile(min_dihedral, 0.05))
       << ",\"min_dihedral_p50\":" << finite(percentile(min_dihedral, 0.5))
       << ",\"max_radius_edge_ratio\":" << finite(max_radius_edge) << ",\"mean_radius_edge_ratio\":"
       << finite(sum_radius_edge / double(std::max<std::size_t>(1, mesh.tet_labels.size())))
       << ",\"slivers_below_10deg\":" << slivers << "}";
    js.precision(6);
    js << ",\"threads\":" << threads << ",\"tbb\":" << (tbb ? "true" : "false")
       << ",\"volumeMesher\":\"" << (mesh.hxt ? "hxt" : "cgal") << "\",\"droppedTriangles\":" << mesh.dropped_triangles;
    if (mesh.facet_angle > 0)
        js << ",\"tries\":" << mesh.tries << ",\"facetAngle\":" << mesh.facet_angle
           << ",\"facetDistanceRatio\":" << mesh.facet_distance_ratio;
    if (!mesh.hxt_failure.empty()) js << ",\"hxtFailure\":\"" << json_escape(mesh.hxt_failure) << "\"";
    js << ",\"timings\":[";
    first = true;
    for (auto &[stage, seconds] : timings) {
        js << (first ? "" : ",") << "{\"stage\":\"" << json_escape(stage) << "\",\"seconds\":" << seconds << "}";
        first = false;
    }
    js << "]}";
    return js.str();
}

} // namespace gssa_mesher_internal
