// InsideGrid: exact point-in-solid answers from a grid of classified corners (see domain.hpp).
#include "domain.hpp"

#include <algorithm>
#include <cmath>

namespace gssa_mesher_internal {

namespace {
constexpr double kCellsPerTriangle = 32;
constexpr double kMaxCells = 4e6;           // about 50 MB of grid at most
constexpr std::size_t kMaxListed = 1u << 26; // triangle references; beyond this, no grid
} // namespace

InsideGrid::InsideGrid(const SurfaceMesh &mesh, const std::function<int(const Point &)> &fallback) {
    CGAL::Bbox_3 box;
    triangles.reserve(mesh.number_of_faces());
    for (auto f : faces(mesh)) {
        auto h = halfedge(f, mesh);
        Triangle t{mesh.point(source(h, mesh)), mesh.point(target(h, mesh)), mesh.point(target(next(h, mesh), mesh))};
        box += t.a.bbox() + t.b.bbox() + t.c.bbox();
        triangles.push_back(t);
    }
    if (triangles.empty()) return;

    // The box, padded so that its faces (where every grid line starts) are strictly outside.
    double lo[3] = {box.xmin(), box.ymin(), box.zmin()}, hi[3] = {box.xmax(), box.ymax(), box.zmax()};
    double largest = std::max({hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]});
    double pad = 1e-3 * largest + 1e-9;
    double extent[3];
    for (int d = 0; d < 3; ++d) {
        origin[d] = lo[d] - pad;
        extent[d] = hi[d] - lo[d] + 2 * pad;
    }
    double wanted = std::clamp(kCellsPerTriangle * double(triangles.size()), 64.0, kMaxCells);
    double h = std::cbrt(extent[0] * extent[1] * extent[2] / wanted);
    if (!(h > 0) || !std::isfinite(h)) { // overflowing or flat boxes: leave it all to the fallback
        triangles.clear();
        return;
    }
    for (;;) {
        double cells = 1;
        for (int d = 0; d < 3; ++d) {
            n[d] = int(std::clamp(std::ceil(extent[d] / h), 1.0, 4096.0));
            cells *= n[d];
        }
        if (cells <= 2 * kMaxCells) break;
        h *= 1.25;
    }
    for (int d = 0; d < 3; ++d) step[d] = extent[d] / n[d];

    // Each triangle is listed in every cell its (slightly grown) box touches: a superset of the
    // cells it meets, which is all the queries need.
    auto range = [&](const Triangle &t, int d, int &from, int &to) {
        double a = t.a.cartesian(d), b = t.b.cartesian(d), c = t.c.cartesian(d);
        double grow = 1e-6 * step[d];
        from = std::clamp(int(std::floor((std::min({a, b, c}) - grow - origin[d]) / step[d])), 0, n[d] - 1);
        to = std::clamp(int(std::floor((std::max({a, b, c}) + grow - origin[d]) / step[d])), 0, n[d] - 1);
    };
    std::size_t cells = std::size_t(n[0]) * std::size_t(n[1]) * std::size_t(n[2]);
    std::vector<std::uint32_t> count(cells + 1, 0);
    std::size_t total = 0;
    for (const auto &t : triangles) {
        int f[3], l[3];
        for (int d = 0; d < 3; ++d) range(t, d, f[d], l[d]);
        total += std::size_t(l[0] - f[0] + 1) * std::size_t(l[1] - f[1] + 1) * std::size_t(l[2] - f[2] + 1);
        if (total > kMaxListed) { // pathological triangles: leave every question to the fallback
            triangles.clear();
            return;
        }
        for (int k = f[2]; k <= l[2]; ++k)
            for (int j = f[1]; j <= l[1]; ++j)
                for (int i = f[0]; i <= l[0]; ++i) ++count[cell_of(i, j, k) + 1];
    }
    for (std::size_t c = 0; c < cells; ++c) count[c + 1] += count[c];
    first = count;
    listed.resize(total);
    for (std::uint32_t index = 0; index < triangles.size(); ++index) {
        int f[3], l[3];
        for (int d = 0; d < 3; ++d) range(triangles[index], d, f[d], l[d]);
        for (int k = f[2]; k <= l[2]; ++k)
            for (int j = f[1]; j <= l[1]; ++j)
                for (int i = f[0]; i <= l[0]; ++i) listed[count[cell_of(i, j, k)]++] = index;
    }

    // Corners: each grid line starts outside and flips at every crossing of its edges. An edge
    // lies on its cell's closed box, so that cell's list holds every triangle it can meet.
    corners.assign(std::size_t(n[0] + 1) * std::size_t(n[1] + 1) * std::size_t(n[2] + 1), 0);
    for (int k = 0; k <= n[2]; ++k)
        for (int j = 0; j <= n[1]; ++j) {
            int state = 0;
            for (int i = 0; i < n[0]; ++i) {
                Point p = corner_point(i, j, k), q = corner_point(i + 1, j, k);
                int odd = state < 0 ? -1 : parity(cell_of(i, std::min(j, n[1] - 1), std::min(k, n[2] - 1)), p, q);
                state = odd < 0 ? fallback(q) : state ^ odd;
                corners[corner_of(i + 1, j, k)] = static_cast<signed char>(state);
            }
        }
}

int InsideGrid::crossing(const Triangle &t, const Point &p, const Point &q) {
    CGAL::Orientation sp = CGAL::orientation(t.a, t.b, t.c, p), sq = CGAL::orientation(t.a, t.b, t.c, q);
    if (sp == sq && sp != CGAL::COPLANAR) return 0; // both on one side
    if (sp == CGAL::COPLANAR || sq == CGAL::COPLANAR) return 2;
    CGAL::Orientation e1 = CGAL::orientation(p, q, t.a, t.b), e2 = CGAL::orientation(p, q, t.b, t.c),
                      e3 = CGAL::orientation(p, q, t.c, t.a);
    if (e1 == CGAL::COPLANAR || e2 == CGAL::COPLANAR || e3 == CGAL::COPLANAR) return 2; // an edge or a vertex
    return e1 == e2 && e2 == e3 ? 1 : 0;
}

int InsideGrid::parity(std::size_t cell, const Point &p, const Point &q) const {
    if (p == q) return 0;
    int odd = 0;
    for (std::uint32_t k = first[cell]; k < first[cell + 1]; ++k) {
        int r = crossing(triangles[listed[k]], p, q);
        if (r == 2) return -1;
        odd ^= r;
    }
    return odd;
}

int InsideGrid::classify(const Point &p) const {
    if (triangles.empty()) return -1;
    int index[3], near[3];
    for (int d = 0; d < 3; ++d) {
        double u = (p.cartesian(d) - origin[d]) / step[d];
        if (!(u >= 0 && u <= n[d])) return -1; // outside the grid (or NaN)
        index[d] = std::min(int(u), n[d] - 1);
        near[d] = index[d] + (u - index[d] > 0.5 ? 1 : 0);
    }
    int state = corners[corner_of(near[0], near[1], near[2])];
    if (state < 0) return -1;
    int odd = parity(cell_of(index[0], index[1], index[2]), p, corner_point(near[0], near[1], near[2]));
    return odd < 0 ? -1 : state ^ odd;
}

} // namespace gssa_mesher_internal
