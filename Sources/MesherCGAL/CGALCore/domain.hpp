// The labelled domain: solids (closed surfaces, analytic cylinders), their roles, the label
// function and the size field. CGAL kernel and AABB trees only — no Mesh_3 — so the files that
// include this compile in seconds; Mesh_3 lives in refine.cpp alone.
//
// Domain: an implicit labelled function (reference §6.1). Positive labels are meshed, labels <= 0
// are "null" for CGAL, so holes and outsides are not meshed but keep distinct labels; the
// surface patch index CGAL stores for each boundary facet is the pair of labels on both
// sides, from which the boundary id is read back.
#pragma once
#include "gssa_mesher.h"
#include "mesher_internal.hpp"

#include <CGAL/AABB_face_graph_triangle_primitive.h>
#include <CGAL/AABB_traits.h>
#include <CGAL/AABB_tree.h>
#include <CGAL/Exact_predicates_inexact_constructions_kernel.h>
#include <CGAL/Side_of_triangle_mesh.h>
#include <CGAL/Surface_mesh.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace gssa_mesher_internal {

using K = CGAL::Exact_predicates_inexact_constructions_kernel;
using Point = K::Point_3;
using Vector = K::Vector_3;
using FT = K::FT;
using SurfaceMesh = CGAL::Surface_mesh<Point>;
using Primitive = CGAL::AABB_face_graph_triangle_primitive<SurfaceMesh>;
using Tree = CGAL::AABB_tree<CGAL::AABB_traits<K, Primitive>>;
using Side = CGAL::Side_of_triangle_mesh<SurfaceMesh, K, CGAL::Default, Tree>;

constexpr double kPi = 3.14159265358979323846;

inline double sq(double x) { return x * x; }
inline double dist2(const Point &a, const double c[3]) { return sq(a.x() - c[0]) + sq(a.y() - c[1]) + sq(a.z() - c[2]); }

/// A surface point with its outward normal and a probe half-length: where to look for a surface
/// crossing when seeding the mesher (implicit domains otherwise miss thin or small parts).
using Probe = std::tuple<Point, Vector, double>;

/// A closed solid: inside test, distance to its boundary, bounding box.
struct Solid {
    CGAL::Bbox_3 bbox;
    virtual ~Solid() = default;
    virtual bool inside(const Point &p) const = 0;
    virtual double distance(const Point &p) const = 0;
    /// distance(p) when it is below `limit`, else any value >= `limit`: the size field needs a
    /// surface's distance only within the reach of its grading, and a far point's exact
    /// distance is the expensive one.
    virtual double distance_below(const Point &p, double limit) const { return distance(p); }
    /// A few surface probes on every component of the solid.
    virtual void seeds(std::vector<Probe> &out) const = 0;
    /// Cheap lower bound on distance(p).
    double box_distance(const Point &p) const;
    bool in_box(const Point &p) const;
};

/// An exact point-in-solid test for a closed, outward-oriented triangle surface that is fast
/// near the surface, where Mesh_3's bisections ask nearly all their questions. A uniform grid
/// over the surface's box knows, for each cell, the triangles touching it, and for each grid
/// corner whether it is inside. A point's answer is its cell corner's, flipped once per proper
/// crossing of the segment between them. Every test is an exact predicate; where the segment
/// grazes an edge, a vertex or a plane, the caller's fallback (CGAL's ray test) answers.
class InsideGrid {
  public:
    /// Builds the grid; `fallback` (1 inside, 0 outside, -1 on the surface) answers the corners
    /// that a walk along the grid lines cannot.
    InsideGrid(const SurfaceMesh &mesh, const std::function<int(const Point &)> &fallback);
    /// 1 inside, 0 outside, -1 undecided (ask the fallback).
    int classify(const Point &p) const;

  private:
    struct Triangle { Point a, b, c; };
    /// +1/-1 for one proper crossing (or none: 0); 2 when the segment grazes the triangle.
    static int crossing(const Triangle &t, const Point &p, const Point &q);
    std::size_t cell_of(int i, int j, int k) const { return (std::size_t(k) * std::size_t(n[1]) + std::size_t(j)) * std::size_t(n[0]) + std::size_t(i); }
    std::size_t corner_of(int i, int j, int k) const { return (std::size_t(k) * std::size_t(n[1] + 1) + std::size_t(j)) * std::size_t(n[0] + 1) + std::size_t(i); }
    Point corner_point(int i, int j, int k) const { return Point(origin[0] + i * step[0], origin[1] + j * step[1], origin[2] + k * step[2]); }
    /// Whether [p, q] crosses the cell's triangles an odd number of times; -1 when it grazes one.
    int parity(std::size_t cell, const Point &p, const Point &q) const;

    double origin[3] = {0, 0, 0}, step[3] = {1, 1, 1};
    int n[3] = {1, 1, 1};
    std::vector<Triangle> triangles;
    std::vector<std::uint32_t> first;   // CSR: cell c's triangles are listed from first[c] to first[c + 1]
    std::vector<std::uint32_t> listed;  // triangle indices
    std::vector<signed char> corners;   // 1 inside, 0 outside, -1 on the surface
};

/// A closed triangle surface with an AABB tree (built eagerly: the domain is queried from
/// several threads in parallel mode).
struct MeshSolid final : Solid {
    SurfaceMesh mesh;
    std::unique_ptr<Tree> tree;
    std::unique_ptr<Side> side;
    std::unique_ptr<InsideGrid> grid;

    explicit MeshSolid(const TriangleSurface &s);
    bool well_formed() const;
    bool self_intersects() const;
    bool inside(const Point &p) const override {
        if (!in_box(p)) return false;
        int answer = grid->classify(p);
        return answer < 0 ? (*side)(p) == CGAL::ON_BOUNDED_SIDE : answer == 1;
    }
    double distance(const Point &p) const override { return std::sqrt(tree->squared_distance(p)); }
    double distance_below(const Point &p, double limit) const override;
    void seeds(std::vector<Probe> &out) const override;
};

/// An analytic capped cylinder (segment a→b, radius r): library needles.
struct CylinderSolid final : Solid {
    Point a, b;
    double r;
    CylinderSolid(const Point &a, const Point &b, double r);
    /// Signed distance to the capped cylinder surface (negative inside).
    double signed_distance(const Point &p) const;
    bool inside(const Point &p) const override { return in_box(p) && signed_distance(p) < 0; }
    double distance(const Point &p) const override { return std::abs(signed_distance(p)); }
    void seeds(std::vector<Probe> &out) const override;
};

/// One input region: its role, user id, characteristic length and solid.
struct Region {
    gssa_role role;
    std::string name;
    int id;
    double cl;
    int priority;
    bool has_activity = false;
    gssa_activity activity{};
    std::unique_ptr<Solid> solid;
};

// Internal labels. Positive: meshed. Non-positive: null (outside or hole).
constexpr int kTissue = 1;
constexpr int kExtent = -1;
constexpr int kOrgan = -2;
inline int zone_label(std::size_t k) { return 2 + int(k); }
inline int hole_label(std::size_t h) { return -3 - int(h); }
inline int inactive_label(std::size_t holes, std::size_t k) { return -3 - int(holes) - int(k); }

/// Seconds on a monotonic clock, for the stage timings of the report.
double now();

} // namespace gssa_mesher_internal

/// The opaque handle of the C API: inputs, the prepared domain and the results.
struct gssa_mesher {
    gssa_mesh_params params;
    std::string error;
    std::vector<std::unique_ptr<gssa_mesher_internal::Region>> regions;

    // Prepared state (gssa_mesher_prepare).
    bool prepared = false;
    double centre[3] = {0, 0, 0};
    gssa_mesher_internal::Region *organ = nullptr;
    gssa_mesher_internal::Region *extent = nullptr;
    std::vector<gssa_mesher_internal::Region *> holes; // vessels + needles, in order
    std::vector<gssa_mesher_internal::Region *> zones; // sorted by (priority, id)
    int extent_id = 1;
    CGAL::Bbox_3 domain_box;
    gssa_mesher_internal::MeshNames names;

    // Results (gssa_mesher_run).
    gssa_mesher_internal::MeshArrays arrays;
    std::vector<std::pair<std::string, double>> timings;
    /// The report JSON once built, and how many timings it included: the C API is called once for
    /// the size and once for the bytes, and the report walks every tetrahedron.
    mutable std::string report;
    mutable std::size_t report_timings = 0;

    /// The internal label of a point (see the labels above).
    int label(const gssa_mesher_internal::Point &p) const;
    /// The target element size at a point.
    double size(const gssa_mesher_internal::Point &p) const;
    /// far − (far − c)·exp(−d/λ): c at the feature, relaxing to far with decay length λ.
    double grade(double c, double d) const;
    /// Smallest distance at which grade(c, d) reaches s (for pruning).
    double reach(double c, double s) const;
    /// The user's id for an internal positive label.
    int subdomain_id(int internal) const;
    /// The user's id for the interface between two internal labels; 0 when it is not a boundary.
    int boundary_id(int a, int b) const;

    gssa_status fail(gssa_status status, const std::string &message) {
        error = message;
        return status;
    }
};

namespace gssa_mesher_internal {

/// Checks the settings and regions, assigns roles, centre, domain box, extent id and names.
gssa_status prepare_domain(gssa_mesher *m);

/// Monte-Carlo estimate of the tetrahedron count (after prepare_domain).
double estimate_cells(const gssa_mesher *m, int samples);

/// The curves to protect as 1D features (where three labels meet, needle rims), each with its
/// edge size (defined in features.cpp).
std::vector<std::vector<Point>> feature_polylines(const gssa_mesher *m, std::vector<double> &curve_sizes);

/// Seeds, refines and optimises with CGAL Mesh_3, then extracts the labelled arrays into
/// `m->arrays` (the only function that needs Mesh_3; defined in refine.cpp).
gssa_status refine_and_extract(gssa_mesher *m);

/// refine_and_extract, then, with HXT volumes and optimisation on, while the mesh has tetrahedra
/// under 10 degrees, again with other surface criteria, up to `params.quality_retries` times;
/// keeps the first mesh without such tetrahedra, else the best (defined in quality_target.cpp).
gssa_status mesh_to_quality_target(gssa_mesher *m);

} // namespace gssa_mesher_internal
