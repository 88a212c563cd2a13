// The solids of the labelled domain: triangle surfaces behind an AABB tree, and analytic
// capped cylinders for library needles.
#include "domain.hpp"

#include <CGAL/Polygon_mesh_processing/self_intersections.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

namespace gssa_mesher_internal {

double now() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

double Solid::box_distance(const Point &p) const {
    double dx = std::max({bbox.xmin() - p.x(), 0.0, p.x() - bbox.xmax()});
    double dy = std::max({bbox.ymin() - p.y(), 0.0, p.y() - bbox.ymax()});
    double dz = std::max({bbox.zmin() - p.z(), 0.0, p.z() - bbox.zmax()});
    return std::sqrt(dx * dx + dy * dy + dz * dz);
}

bool Solid::in_box(const Point &p) const {
    return p.x() >= bbox.xmin() && p.x() <= bbox.xmax() && p.y() >= bbox.ymin() && p.y() <= bbox.ymax() &&
           p.z() >= bbox.zmin() && p.z() <= bbox.zmax();
}

MeshSolid::MeshSolid(const TriangleSurface &s) {
    std::vector<SurfaceMesh::Vertex_index> v;
    v.reserve(s.points.size());
    for (auto &p : s.points) v.push_back(mesh.add_vertex(Point(p[0], p[1], p[2])));
    for (auto &t : s.triangles) mesh.add_face(v[t[0]], v[t[1]], v[t[2]]);
    tree = std::make_unique<Tree>(faces(mesh).first, faces(mesh).second, mesh);
    tree->build();
    tree->accelerate_distance_queries();
    side = std::make_unique<Side>(*tree);
    bbox = tree->bbox();
    grid = std::make_unique<InsideGrid>(mesh, [this](const Point &p) {
        CGAL::Bounded_side where = (*side)(p);
        return where == CGAL::ON_BOUNDED_SIDE ? 1 : where == CGAL::ON_UNBOUNDED_SIDE ? 0 : -1;
    });
}

bool MeshSolid::well_formed() const { return mesh.number_of_faces() > 0 && mesh.is_valid(false); }

bool MeshSolid::self_intersects() const { return CGAL::Polygon_mesh_processing::does_self_intersect(mesh); }

void MeshSolid::seeds(std::vector<Probe> &out) const {
    std::size_t n = mesh.number_of_faces(), step = std::max<std::size_t>(1, n / 48), i = 0;
    for (auto f : faces(mesh)) {
        if (i++ % step) continue;
        auto h = halfedge(f, mesh);
        const Point &a = mesh.point(source(h, mesh)), &b = mesh.point(target(h, mesh)),
                    &c = mesh.point(target(next(h, mesh), mesh));
        Vector nrm = CGAL::cross_product(b - a, c - a);
        double l = std::sqrt(nrm.squared_length());
        if (!(l > 0)) continue;
        double edge = std::sqrt(
            std::min({CGAL::squared_distance(a, b), CGAL::squared_distance(b, c), CGAL::squared_distance(c, a)}));
        out.emplace_back(CGAL::centroid(a, b, c), nrm / l, 0.25 * edge);
    }
}

CylinderSolid::CylinderSolid(const Point &a_, const Point &b_, double r_) : a(a_), b(b_), r(r_) {
    bbox = CGAL::Bbox_3(std::min(a.x(), b.x()) - r, std::min(a.y(), b.y()) - r, std::min(a.z(), b.z()) - r,
                        std::max(a.x(), b.x()) + r, std::max(a.y(), b.y()) + r, std::max(a.z(), b.z()) + r);
}

double MeshSolid::distance_below(const Point &p, double limit) const {
    if (!(limit < std::numeric_limits<double>::infinity())) return distance(p);
    // The traversal prunes every box farther than its current best point. Started from the
    // nearest sample (the kd-tree's hint) when that is within the limit, else from a stand-in
    // point at the limit, it visits only boxes within the limit; if the stand-in survives,
    // nothing is nearer.
    auto hint = tree->best_hint(p);
    if (CGAL::squared_distance(p, hint.first) < limit * limit) return std::sqrt(tree->squared_distance(p, hint.first));
    Point bound(p.x() + limit, p.y(), p.z());
    Point closest = tree->closest_point(p, bound);
    return closest == bound ? std::numeric_limits<double>::infinity() : std::sqrt(CGAL::squared_distance(p, closest));
}

double CylinderSolid::signed_distance(const Point &p) const {
    Vector axis = b - a;
    double len = std::sqrt(axis.squared_length());
    Vector u = axis / len;
    double t = (p - a) * u;
    double radial = std::sqrt(std::max(0.0, (p - a).squared_length() - t * t));
    double dr = radial - r;
    double dt = std::max(-t, t - len);
    if (dr <= 0 && dt <= 0) return std::max(dr, dt);
    return std::sqrt(sq(std::max(dr, 0.0)) + sq(std::max(dt, 0.0)));
}

void CylinderSolid::seeds(std::vector<Probe> &out) const {
    Vector axis = b - a;
    Vector u = axis / std::sqrt(axis.squared_length());
    Vector helper = std::abs(u.x()) < 0.9 ? Vector(1, 0, 0) : Vector(0, 1, 0);
    Vector e1 = CGAL::cross_product(u, helper);
    e1 = e1 / std::sqrt(e1.squared_length());
    Vector e2 = CGAL::cross_product(u, e1);
    for (double t : {0.1, 0.5, 0.9})
        for (int k = 0; k < 6; ++k) {
            double th = 2 * kPi * k / 6;
            Vector n = std::cos(th) * e1 + std::sin(th) * e2;
            out.emplace_back(a + t * axis + r * n, n, 0.5 * r);
        }
    out.emplace_back(a, -u, 0.5 * r);
    out.emplace_back(b, u, 0.5 * r);
}

} // namespace gssa_mesher_internal
