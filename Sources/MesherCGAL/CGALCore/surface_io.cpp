// Surface readers (STL ASCII/binary, OFF) and topological checks. Deliberately CGAL-free:
// it compiles in a second and gives messages that name the offending file.
#include "mesher_internal.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

namespace gssa_mesher_internal {
namespace {

struct PointKey {
    double x, y, z;
    bool operator==(const PointKey &o) const { return x == o.x && y == o.y && z == o.z; }
};
struct PointKeyHash {
    std::size_t operator()(const PointKey &k) const {
        std::hash<double> h;
        return h(k.x) ^ (h(k.y) * 1000003u) ^ (h(k.z) * 998244353u);
    }
};

/// Merges exactly coincident vertices of a triangle soup (STL stores each corner separately).
class Welder {
  public:
    explicit Welder(TriangleSurface &s) : surface(s) {}
    std::size_t index(double x, double y, double z) {
        PointKey key{x == 0 ? 0.0 : x, y == 0 ? 0.0 : y, z == 0 ? 0.0 : z};
        auto it = map.find(key);
        if (it != map.end()) return it->second;
        std::size_t i = surface.points.size();
        surface.points.push_back({x, y, z});
        map.emplace(key, i);
        return i;
    }

  private:
    TriangleSurface &surface;
    std::unordered_map<PointKey, std::size_t, PointKeyHash> map;
};

bool read_file(const std::string &path, std::string &content, std::string &error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = "cannot open surface file '" + path + "'";
        return false;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    content = ss.str();
    return true;
}

void add_triangle(TriangleSurface &s, std::size_t a, std::size_t b, std::size_t c) {
    if (a == b || b == c || a == c) return; // degenerate after welding: drop
    s.triangles.push_back({a, b, c});
}

bool read_binary_stl(const std::string &path, const std::string &data, TriangleSurface &s,
                     std::string &error) {
    if (data.size() < 84) {
        error = "surface file '" + path + "' is too short to be an STL file";
        return false;
    }
    std::uint32_t count;
    std::memcpy(&count, data.data() + 80, 4);
    if (data.size() < 84 + std::size_t(count) * 50) {
        error = "binary STL '" + path + "' is truncated (" + std::to_string(count) + " triangles declared)";
        return false;
    }
    Welder weld(s);
    for (std::uint32_t t = 0; t < count; ++t) {
        const char *rec = data.data() + 84 + std::size_t(t) * 50 + 12;
        std::size_t idx[3];
        for (int v = 0; v < 3; ++v) {
            float f[3];
            std::memcpy(f, rec + 12 * v, 12);
            if (!std::isfinite(f[0]) || !std::isfinite(f[1]) || !std::isfinite(f[2])) {
                error = "binary STL '" + path + "' has a non-finite coordinate in triangle " + std::to_string(t + 1);
                return false;
            }
            idx[v] = weld.index(f[0], f[1], f[2]);
        }
        add_triangle(s, idx[0], idx[1], idx[2]);
    }
    return true;
}

bool read_ascii_stl(const std::string &path, const std::string &data, TriangleSurface &s,
                    std::string &error) {
    std::istringstream in(data);
    std::string word;
    Welder weld(s);
    std::vector<std::size_t> corner;
    std::size_t line_facets = 0;
    while (in >> word) {
        if (word == "vertex") {
            double x, y, z;
            if (!(in >> x >> y >> z)) {
                error = "ASCII STL '" + path + "': bad vertex line in facet " + std::to_string(line_facets + 1);
                return false;
            }
            corner.push_back(weld.index(x, y, z));
        } else if (word == "endloop") {
            if (corner.size() != 3) {
                error = "ASCII STL '" + path + "': facet " + std::to_string(line_facets + 1) + " is not a triangle";
                return false;
            }
            add_triangle(s, corner[0], corner[1], corner[2]);
            corner.clear();
            ++line_facets;
        }
    }
    if (line_facets == 0) {
        error = "ASCII STL '" + path + "' contains no facets";
        return false;
    }
    return true;
}

bool read_off(const std::string &path, const std::string &data, TriangleSurface &s, std::string &error) {
    // Strip comments.
    std::string cleaned;
    cleaned.reserve(data.size());
    bool comment = false;
    for (char c : data) {
        if (c == '#') comment = true;
        if (c == '\n') comment = false;
        if (!comment) cleaned.push_back(c);
    }
    std::istringstream in(cleaned);
    std::string header;
    in >> header;
    if (header != "OFF") {
        error = "OFF file '" + path + "' does not start with 'OFF'";
        return false;
    }
    long nv, nf, ne;
    if (!(in >> nv >> nf >> ne) || nv < 0 || nf < 0) {
        error = "OFF file '" + path + "': bad counts line";
        return false;
    }
    s.points.resize(std::size_t(nv));
    for (long i = 0; i < nv; ++i) {
        auto &p = s.points[std::size_t(i)];
        if (!(in >> p[0] >> p[1] >> p[2])) {
            error = "OFF file '" + path + "': vertex " + std::to_string(i) + " is unreadable";
            return false;
        }
    }
    for (long f = 0; f < nf; ++f) {
        long k;
        if (!(in >> k) || k < 3) {
            error = "OFF file '" + path + "': face " + std::to_string(f) + " is unreadable";
            return false;
        }
        std::vector<std::size_t> poly(static_cast<std::size_t>(k));
        for (long j = 0; j < k; ++j) {
            long v;
            if (!(in >> v) || v < 0 || v >= nv) {
                error = "OFF file '" + path + "': face " + std::to_string(f) + " has a bad vertex index";
                return false;
            }
            poly[std::size_t(j)] = std::size_t(v);
        }
        std::string rest;
        std::getline(in, rest); // optional colour
        for (std::size_t j = 1; j + 1 < poly.size(); ++j) add_triangle(s, poly[0], poly[j], poly[j + 1]);
    }
    return true;
}

bool check_closed(const std::string &path, const TriangleSurface &s, std::string &error) {
    if (s.triangles.size() < 4) {
        error = "surface '" + path + "' has fewer than 4 triangles and cannot be closed";
        return false;
    }
    // Directed edge counts: a closed, consistently oriented 2-manifold uses every directed
    // edge exactly once and its reverse exactly once.
    std::map<std::pair<std::size_t, std::size_t>, int> directed;
    for (const auto &t : s.triangles)
        for (int i = 0; i < 3; ++i) directed[{t[i], t[(i + 1) % 3]}]++;
    std::size_t boundary = 0, nonmanifold = 0;
    for (const auto &[edge, count] : directed) {
        if (count > 1) {
            ++nonmanifold; // same direction twice: flipped neighbour or >2 triangles on an edge
        } else if (directed.find({edge.second, edge.first}) == directed.end()) {
            ++boundary;
        }
    }
    if (nonmanifold > 0) {
        error = "surface '" + path + "' is not closed and consistently oriented: " + std::to_string(nonmanifold) +
                " edges are shared by more than two triangles or by neighbours with inconsistent orientation";
        return false;
    }
    if (boundary > 0) {
        error = "surface '" + path + "' is not closed: " + std::to_string(boundary) + " boundary edges";
        return false;
    }
    // Signed volume: positive for an outward-oriented closed surface.
    double volume = 0;
    for (const auto &t : s.triangles) {
        const auto &a = s.points[t[0]], &b = s.points[t[1]], &c = s.points[t[2]];
        volume += a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
                  a[2] * (b[0] * c[1] - b[1] * c[0]);
    }
    volume /= 6.0;
    if (!(volume > 0)) {
        error = "surface '" + path + "' is inverted (its triangles face inwards; enclosed signed volume " +
                std::to_string(volume) + ")";
        return false;
    }
    return true;
}

} // namespace

bool read_closed_surface(const std::string &path, TriangleSurface &out, std::string &error) {
    std::string data;
    if (!read_file(path, data, error)) return false;
    out = TriangleSurface{};
    std::string lower = path;
    for (auto &c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    auto ends_with = [&](const char *ext) {
        std::size_t n = std::strlen(ext);
        return lower.size() >= n && lower.compare(lower.size() - n, n, ext) == 0;
    };
    bool ok;
    if (ends_with(".off")) {
        ok = read_off(path, data, out, error);
    } else if (ends_with(".stl")) {
        // Binary if the size matches the declared triangle count; ASCII files start with "solid"
        // but so do some binary ones, hence the size test first.
        bool binary = false;
        if (data.size() >= 84) {
            std::uint32_t count;
            std::memcpy(&count, data.data() + 80, 4);
            binary = data.size() == 84 + std::size_t(count) * 50;
        }
        if (!binary && data.compare(0, 5, "solid") != 0) binary = true;
        ok = binary ? read_binary_stl(path, data, out, error) : read_ascii_stl(path, data, out, error);
    } else {
        error = "surface file '" + path + "' has an unsupported extension (use .stl or .off)";
        return false;
    }
    if (!ok) return false;
    return check_closed(path, out, error);
}

} // namespace gssa_mesher_internal
