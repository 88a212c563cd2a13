// The 1D features of the labelled domain: the curves where three or more labels meet (a needle
// through the organ surface, the extent sphere through the organ, a vessel through a zone, an
// activity sphere through a needle) and the sharp rims of the analytic needle cylinders. Left
// unprotected, Mesh_3 samples such curves only through the facets of the surfaces around them,
// and the tetrahedra there stay slivers that the optimisers cannot move (their vertices lie on
// two surfaces). Protected, the curves are sampled first, with balls, and meshed as edges.
//
// How: every surface gets a triangle approximation (the input triangles themselves for STL/OFF
// solids; tessellations for cylinders and spheres); the pairwise intersection polylines of
// those approximations are projected back onto both exact surfaces, cut to the stretches where
// at least three labels meet and one of them is meshed, and split where two curves meet.
#include "domain.hpp"

#include <CGAL/Polygon_mesh_processing/intersection.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <functional>
#include <limits>

namespace gssa_mesher_internal {

namespace {

/// One surface of the domain: an approximation by triangles and the closest point on the
/// exact surface.
struct Surface {
    SurfaceMesh mesh;
    std::function<Point(const Point &)> project;
    bool exact_mesh = false; // the triangles are the surface itself
    double scale = std::numeric_limits<double>::infinity(); // smallest feature (cylinder radius)
    CGAL::Bbox_3 bbox;
    const CylinderSolid *cylinder = nullptr;
};

/// Two cylinders on one axis (the parts of a library needle): their only common curve is the
/// rim between them, which the rims cover; their touching caps are coplanar, and intersecting
/// coplanar triangles gives a tangle of tiny polylines.
bool coaxial(const CylinderSolid &p, const CylinderSolid &q) {
    Vector u = p.b - p.a, v = q.b - q.a;
    double lu = std::sqrt(u.squared_length()), lv = std::sqrt(v.squared_length());
    double tol = 1e-6 * (lu + lv + p.r + q.r);
    auto off_axis = [&](const Point &x) { return std::sqrt(CGAL::cross_product(x - p.a, u).squared_length()) / lu; };
    return std::sqrt(CGAL::cross_product(u, v).squared_length()) <= 1e-9 * lu * lv && off_axis(q.a) <= tol &&
           off_axis(q.b) <= tol;
}

void frame(const Vector &u, Vector &e1, Vector &e2) {
    Vector helper = std::abs(u.x()) < 0.9 ? Vector(1, 0, 0) : Vector(0, 1, 0);
    e1 = CGAL::cross_product(u, helper);
    e1 = e1 / std::sqrt(e1.squared_length());
    e2 = CGAL::cross_product(u, e1);
}

Surface sphere_surface(const Point &c, double R) {
    Surface s;
    const int nl = 48, nu = 96;
    auto &M = s.mesh;
    auto north = M.add_vertex(c + Vector(0, 0, R)), south = M.add_vertex(c + Vector(0, 0, -R));
    std::vector<std::vector<SurfaceMesh::Vertex_index>> rings;
    for (int i = 1; i < nl; ++i) {
        double th = kPi * i / nl;
        rings.emplace_back();
        for (int j = 0; j < nu; ++j) {
            double ph = 2 * kPi * j / nu;
            rings.back().push_back(M.add_vertex(
                c + Vector(R * std::sin(th) * std::cos(ph), R * std::sin(th) * std::sin(ph), R * std::cos(th))));
        }
    }
    for (int j = 0; j < nu; ++j) {
        int k = (j + 1) % nu;
        M.add_face(north, rings.front()[j], rings.front()[k]);
        M.add_face(south, rings.back()[k], rings.back()[j]);
        for (std::size_t i = 0; i + 1 < rings.size(); ++i) {
            M.add_face(rings[i][j], rings[i + 1][j], rings[i + 1][k]);
            M.add_face(rings[i][j], rings[i + 1][k], rings[i][k]);
        }
    }
    s.project = [c, R](const Point &p) {
        Vector v = p - c;
        double l = std::sqrt(v.squared_length());
        if (!(l > 0)) return c + Vector(0, 0, R);
        return c + (R / l) * v;
    };
    s.scale = R;
    s.bbox = CGAL::Bbox_3(c.x() - R, c.y() - R, c.z() - R, c.x() + R, c.y() + R, c.z() + R);
    return s;
}

/// Closest point on the boundary of a capped cylinder.
Point cylinder_project(const CylinderSolid &cy, const Point &p) {
    Vector axis = cy.b - cy.a;
    double L = std::sqrt(axis.squared_length());
    Vector u = axis / L;
    double t = (p - cy.a) * u;
    Vector radial = (p - cy.a) - t * u;
    double rl = std::sqrt(radial.squared_length());
    Vector dir;
    if (rl > 1e-12 * (1 + cy.r)) dir = radial / rl;
    else {
        Vector e2;
        frame(u, dir, e2);
    }
    bool inside_t = t > 0 && t < L, inside_r = rl < cy.r;
    double tp = std::clamp(t, 0.0, L), rp = std::min(rl, cy.r);
    if (inside_t && inside_r) {
        // Inside: to the nearest of the side and the two caps.
        double ds = cy.r - rl, d0 = t, d1 = L - t;
        if (ds <= d0 && ds <= d1) rp = cy.r;
        else tp = d0 < d1 ? 0.0 : L;
    } else if (inside_t) {
        rp = cy.r;
    }
    return cy.a + tp * u + rp * dir;
}

Surface cylinder_surface(const CylinderSolid &cy) {
    Surface s;
    Vector axis = cy.b - cy.a;
    double L = std::sqrt(axis.squared_length());
    Vector u = axis / L, e1, e2;
    frame(u, e1, e2);
    const int nt = 48;
    double arc = 2 * kPi * cy.r / nt;
    int na = std::clamp(int(std::ceil(L / (2 * arc))), 1, 2000);
    auto &M = s.mesh;
    std::vector<std::vector<SurfaceMesh::Vertex_index>> rings(na + 1);
    for (int i = 0; i <= na; ++i)
        for (int j = 0; j < nt; ++j) {
            double th = 2 * kPi * j / nt;
            rings[i].push_back(M.add_vertex(cy.a + (L * i / na) * u + cy.r * (std::cos(th) * e1 + std::sin(th) * e2)));
        }
    auto ca = M.add_vertex(cy.a), cb = M.add_vertex(cy.b);
    for (int j = 0; j < nt; ++j) {
        int k = (j + 1) % nt;
        // Outward: the ring runs counter-clockwise about u.
        for (int i = 0; i < na; ++i) {
            M.add_face(rings[i][j], rings[i][k], rings[i + 1][k]);
            M.add_face(rings[i][j], rings[i + 1][k], rings[i + 1][j]);
        }
        M.add_face(ca, rings[0][k], rings[0][j]);
        M.add_face(cb, rings[na][j], rings[na][k]);
    }
    const CylinderSolid *c = &cy;
    s.project = [c](const Point &p) { return cylinder_project(*c, p); };
    s.scale = cy.r;
    s.bbox = cy.bbox;
    s.cylinder = &cy;
    return s;
}

bool overlap(const CGAL::Bbox_3 &a, const CGAL::Bbox_3 &b, double pad) {
    return a.xmin() <= b.xmax() + pad && b.xmin() <= a.xmax() + pad && a.ymin() <= b.ymax() + pad &&
           b.ymin() <= a.ymax() + pad && a.zmin() <= b.zmax() + pad && b.zmin() <= a.zmax() + pad;
}

/// Distinct labels on a small sphere (radius eps) around q.
int labels_around(const gssa_mesher *m, const Point &q, double eps, bool &meshed) {
    int seen[32];
    int n = 0;
    meshed = false;
    for (int dx = -1; dx <= 1; ++dx)
        for (int dy = -1; dy <= 1; ++dy)
            for (int dz = -1; dz <= 1; ++dz) {
                if (!dx && !dy && !dz) continue;
                Vector d(dx, dy, dz);
                int l = m->label(q + (eps / std::sqrt(d.squared_length())) * d);
                if (l > 0) meshed = true;
                if (std::find(seen, seen + n, l) == seen + n) seen[n++] = l;
            }
    return n;
}

using Polyline = std::vector<Point>;

/// Cuts `line` to the stretches whose segments satisfy `keep`, appending them to `out`.
void keep_runs(const Polyline &line, const std::function<bool(const Point &, const Point &)> &keep,
               std::vector<Polyline> &out) {
    std::size_t n = line.size();
    if (n < 2) return;
    std::vector<char> k(n - 1);
    bool all = true;
    for (std::size_t i = 0; i + 1 < n; ++i) all &= bool(k[i] = keep(line[i], line[i + 1]));
    if (all) {
        out.push_back(line);
        return;
    }
    bool closed = n > 3 && line.front() == line.back();
    std::size_t start = 0;
    if (closed) // start at a dropped segment so that a kept run never wraps
        while (k[start]) ++start;
    Polyline run;
    for (std::size_t s = 0; s < n - 1; ++s) {
        std::size_t i = closed ? (start + s) % (n - 1) : s;
        if (k[i]) {
            if (run.empty()) run.push_back(line[i]);
            run.push_back(line[i + 1]);
        } else if (!run.empty()) {
            out.push_back(std::move(run));
            run.clear();
        }
    }
    if (!run.empty()) out.push_back(std::move(run));
}

/// Splits polylines where they come within `tol` of each other, so that features meet only at
/// shared end points (Mesh_3 protects each polyline on its own, and corners at their ends).
void split_at_meetings(std::vector<Polyline> &lines, std::vector<double> &values, double tol) {
    struct Cut {
        std::size_t seg;
        double t;
        Point p;
    };
    std::vector<std::vector<Cut>> cuts(lines.size());
    auto seg_box = [&](const Point &a, const Point &b) { return a.bbox() + b.bbox(); };
    std::vector<CGAL::Bbox_3> boxes(lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
        CGAL::Bbox_3 bb;
        for (auto &p : lines[i]) bb += p.bbox();
        boxes[i] = bb;
    }
    for (std::size_t i = 0; i < lines.size(); ++i)
        for (std::size_t j = i + 1; j < lines.size(); ++j) {
            if (!overlap(boxes[i], boxes[j], tol)) continue;
            const auto &A = lines[i], &B = lines[j];
            // Near segment pairs; consecutive ones (one crossing seen by several segments) are
            // one meeting, cut once at its closest pair.
            struct Near {
                std::size_t a, b;
                double d, ta, tb;
            };
            std::vector<Near> near;
            for (std::size_t a = 0; a + 1 < A.size(); ++a) {
                auto ba = seg_box(A[a], A[a + 1]);
                if (!overlap(ba, boxes[j], tol)) continue;
                for (std::size_t b = 0; b + 1 < B.size(); ++b) {
                    if (!overlap(ba, seg_box(B[b], B[b + 1]), tol)) continue;
                    K::Segment_3 sa(A[a], A[a + 1]), sb(B[b], B[b + 1]);
                    if (CGAL::squared_distance(sa, sb) > tol * tol) continue;
                    double best = std::numeric_limits<double>::infinity(), ta = 0, tb = 0;
                    const int N = 16;
                    for (int x = 0; x <= N; ++x)
                        for (int y = 0; y <= N; ++y) {
                            Point pa = A[a] + (double(x) / N) * (A[a + 1] - A[a]);
                            Point pb = B[b] + (double(y) / N) * (B[b + 1] - B[b]);
                            double d = CGAL::squared_distance(pa, pb);
                            if (d < best) best = d, ta = double(x) / N, tb = double(y) / N;
                        }
                    near.push_back({a, b, best, ta, tb});
                }
            }
            std::vector<std::vector<Near>> groups;
            for (auto &n : near) {
                bool joined = false;
                for (auto &g : groups)
                    for (auto &o : g)
                        if (!joined && (n.a <= o.a + 2 && o.a <= n.a + 2) && (n.b <= o.b + 2 && o.b <= n.b + 2)) {
                            g.push_back(n);
                            joined = true;
                        }
                if (!joined) groups.push_back({n});
            }
            for (auto &g : groups) {
                auto best = *std::min_element(g.begin(), g.end(), [](const Near &x, const Near &y) { return x.d < y.d; });
                Point pa = A[best.a] + best.ta * (A[best.a + 1] - A[best.a]);
                Point pb = B[best.b] + best.tb * (B[best.b + 1] - B[best.b]);
                Point mid = CGAL::midpoint(pa, pb);
                cuts[i].push_back({best.a, best.ta, mid});
                cuts[j].push_back({best.b, best.tb, mid});
            }
        }
    std::vector<Polyline> result;
    std::vector<double> result_values;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        auto &C = cuts[i];
        if (C.empty()) {
            result.push_back(std::move(lines[i]));
            result_values.push_back(values[i]);
            continue;
        }
        std::sort(C.begin(), C.end(), [](const Cut &x, const Cut &y) { return x.seg != y.seg ? x.seg < y.seg : x.t < y.t; });
        const auto &L = lines[i];
        bool closed = L.size() > 3 && L.front() == L.back();
        // Walk the polyline, ending a piece at every cut.
        std::vector<Polyline> pieces(1);
        pieces.back().push_back(L.front());
        std::size_t c = 0;
        for (std::size_t s = 0; s + 1 < L.size(); ++s) {
            for (; c < C.size() && C[c].seg == s; ++c) {
                if (!(CGAL::squared_distance(pieces.back().back(), C[c].p) > 0)) continue;
                pieces.back().push_back(C[c].p);
                pieces.emplace_back(1, C[c].p);
            }
            if (CGAL::squared_distance(pieces.back().back(), L[s + 1]) > 0) pieces.back().push_back(L[s + 1]);
        }
        if (closed && pieces.size() > 1) {
            // The last piece continues into the first.
            auto last = std::move(pieces.back());
            pieces.pop_back();
            last.insert(last.end(), pieces.front().begin() + 1, pieces.front().end());
            pieces.front() = std::move(last);
        }
        for (auto &p : pieces)
            if (p.size() >= 2) {
                result.push_back(std::move(p));
                result_values.push_back(values[i]);
            }
    }
    lines = std::move(result);
    values = std::move(result_values);
}

/// Drops a polyline that runs along another one (most of its points within `tol` of it): the
/// same curve found twice, e.g. a rim and the intersection of the two parts of a needle.
void drop_duplicates(std::vector<Polyline> &lines, std::vector<double> &values, double tol) {
    auto dist_to = [](const Point &p, const Polyline &l) {
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t k = 0; k + 1 < l.size(); ++k)
            best = std::min(best, CGAL::squared_distance(p, K::Segment_3(l[k], l[k + 1])));
        return std::sqrt(best);
    };
    std::vector<char> drop(lines.size(), 0);
    for (std::size_t i = 0; i < lines.size(); ++i)
        for (std::size_t j = 0; j < lines.size(); ++j) {
            if (i == j || drop[i] || drop[j]) continue;
            // Drop j when it lies along i (ties: keep the one with more points, then the first).
            if (lines[j].size() > lines[i].size() || (lines[j].size() == lines[i].size() && j < i)) continue;
            std::size_t along = 0;
            for (auto &p : lines[j]) along += dist_to(p, lines[i]) <= tol;
            if (2 * along > lines[j].size()) drop[j] = 1;
        }
    std::vector<Polyline> kept;
    std::vector<double> kept_values;
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (!drop[i]) {
            kept.push_back(std::move(lines[i]));
            kept_values.push_back(values[i]);
        }
    lines = std::move(kept);
    values = std::move(kept_values);
}

/// Joins polylines whose ends meet (within `tol`) where exactly two ends meet, and closes a
/// polyline whose two ends meet: the pairwise intersection cuts one curve into pieces, and two
/// near ends would become two corners with tiny protecting balls between them.
void join_pieces(std::vector<Polyline> &lines, std::vector<double> &values, double tol) {
    auto near = [&](const Point &a, const Point &b) { return CGAL::squared_distance(a, b) <= tol * tol; };
    auto closed = [&](const Polyline &l) { return l.size() > 3 && l.front() == l.back(); };
    bool changed = true;
    while (changed) {
        changed = false;
        for (std::size_t i = 0; i < lines.size() && !changed; ++i) {
            if (closed(lines[i])) continue;
            for (int end = 0; end < 2 && !changed; ++end) {
                const Point e = end ? lines[i].back() : lines[i].front();
                std::vector<std::pair<std::size_t, int>> meet;
                for (std::size_t j = 0; j < lines.size(); ++j) {
                    if (closed(lines[j])) continue;
                    for (int f = 0; f < 2; ++f) {
                        if (j == i && f == end) continue;
                        if (near(e, f ? lines[j].back() : lines[j].front())) meet.push_back({j, f});
                    }
                }
                if (meet.size() != 1) continue;
                auto [j, f] = meet[0];
                Polyline a = lines[i];
                if (!end) std::reverse(a.begin(), a.end()); // a ends at e
                if (j == i) {
                    a.back() = a.front(); // close it
                    lines[i] = std::move(a);
                } else {
                    Polyline b = lines[j];
                    if (f) std::reverse(b.begin(), b.end()); // b starts near e
                    a.insert(a.end(), b.begin() + 1, b.end());
                    values[i] = std::min(values[i], values[j]);
                    lines[i] = std::move(a);
                    lines.erase(lines.begin() + long(j));
                    values.erase(values.begin() + long(j));
                }
                changed = true;
            }
        }
    }
}

} // namespace

std::vector<std::vector<Point>> feature_polylines(const gssa_mesher *m, std::vector<double> &curve_sizes) {
    std::vector<Surface> surfaces;
    for (auto &r : m->regions) {
        if (auto *ms = dynamic_cast<const MeshSolid *>(r->solid.get())) {
            Surface s;
            s.mesh = ms->mesh;
            s.exact_mesh = true;
            const Tree *tree = ms->tree.get();
            s.project = [tree](const Point &p) { return tree->closest_point(p); };
            s.bbox = ms->bbox;
            surfaces.push_back(std::move(s));
        } else if (auto *cy = dynamic_cast<const CylinderSolid *>(r->solid.get())) {
            surfaces.push_back(cylinder_surface(*cy));
        }
        if (r->has_activity) {
            Point c(m->centre[0] + r->activity.offset[0], m->centre[1] + r->activity.offset[1],
                    m->centre[2] + r->activity.offset[2]);
            surfaces.push_back(sphere_surface(c, r->activity.radius));
        }
    }
    if (m->params.bounding_radius > 0)
        surfaces.push_back(sphere_surface(Point(m->centre[0], m->centre[1], m->centre[2]), m->params.bounding_radius));

    std::vector<Polyline> features;
    std::vector<double> scales; // the smallest feature scale of the surfaces each curve lies on
    auto eps_at = [&](const Point &q, double scale) { return std::min(0.05 * m->size(q), 0.1 * scale); };

    // Rims of the analytic cylinders, where they bound a meshed label.
    std::vector<std::pair<Point, double>> rims;
    for (auto &r : m->regions) {
        auto *cy = dynamic_cast<const CylinderSolid *>(r->solid.get());
        if (!cy) continue;
        Vector axis = cy->b - cy->a, e1, e2;
        Vector u = axis / std::sqrt(axis.squared_length());
        frame(u, e1, e2);
        const int nt = 96;
        for (const Point &end : {cy->a, cy->b}) {
            // One rim where two parts of a needle meet.
            bool seen = false;
            for (auto &[c, rr] : rims)
                seen |= CGAL::squared_distance(c, end) <= sq(1e-6 * (cy->r + rr)) && std::abs(rr - cy->r) <= 1e-6 * cy->r;
            if (seen) continue;
            rims.push_back({end, cy->r});
            Polyline circle;
            for (int j = 0; j <= nt; ++j) {
                double th = 2 * kPi * (j % nt) / nt;
                circle.push_back(end + cy->r * (std::cos(th) * e1 + std::sin(th) * e2));
            }
            keep_runs(circle,
                      [&](const Point &a, const Point &b) {
                          Point q = CGAL::midpoint(a, b);
                          bool meshed;
                          int n = labels_around(m, q, eps_at(q, cy->r), meshed);
                          return meshed && n >= 2;
                      },
                      features);
            scales.resize(features.size(), cy->r);
        }
    }

    // Curves where two surfaces cut each other and three labels meet.
    for (std::size_t i = 0; i < surfaces.size(); ++i)
        for (std::size_t j = i + 1; j < surfaces.size(); ++j) {
            const Surface &A = surfaces[i], &B = surfaces[j];
            if (!overlap(A.bbox, B.bbox, 0)) continue;
            if (A.cylinder && B.cylinder && coaxial(*A.cylinder, *B.cylinder)) continue;
            std::vector<Polyline> raw;
            try {
                CGAL::Polygon_mesh_processing::surface_intersection(A.mesh, B.mesh, std::back_inserter(raw));
            } catch (const std::exception &) {
                continue; // degenerate approximations: leave this pair unprotected
            }
            double scale = std::min(A.scale, B.scale);
            for (auto &line : raw) {
                if (!(A.exact_mesh && B.exact_mesh))
                    for (auto &p : line) {
                        Point x = p;
                        for (int it = 0; it < 30; ++it) x = CGAL::midpoint(A.project(x), B.project(x));
                        p = x;
                    }
                // Drop repeated points the projection may have produced.
                Polyline clean;
                for (auto &p : line)
                    if (clean.empty() || CGAL::squared_distance(clean.back(), p) > 1e-20) clean.push_back(p);
                if (line.size() > 3 && line.front() == line.back() && clean.back() != clean.front())
                    clean.push_back(clean.front());
                keep_runs(clean,
                          [&](const Point &a, const Point &b) {
                              Point q = CGAL::midpoint(a, b);
                              bool meshed;
                              int n = labels_around(m, q, eps_at(q, scale), meshed);
                              return meshed && n >= 3;
                          },
                          features);
                scales.resize(features.size(), scale);
            }
        }
    // Edge size: the local size, and at most half the radius of the smallest surface the curve
    // lies on (a needle rim gets about 12 edges).
    std::vector<double> sizes(features.size());
    for (std::size_t k = 0; k < features.size(); ++k) {
        double s = 0.5 * scales[k];
        for (auto &p : features[k]) s = std::min(s, m->size(p));
        sizes[k] = s;
    }
    // Split where curves meet.
    double tol = std::numeric_limits<double>::infinity();
    for (auto &l : features)
        for (auto &p : l) tol = std::min(tol, 0.02 * m->size(p));
    if (std::isfinite(tol)) {
        drop_duplicates(features, sizes, 5 * tol);
        join_pieces(features, sizes, tol);
        split_at_meetings(features, sizes, tol);
    }
    curve_sizes = std::move(sizes);
    return features;
}

} // namespace gssa_mesher_internal
