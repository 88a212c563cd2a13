// Mesh_3 refinement and optimisation: the only translation unit that includes CGAL Mesh_3 (it
// takes over a minute to compile), so its cost is paid once. Everything it needs from the
// domain comes through domain.hpp; what it produces is plain arrays (MeshArrays).
#include "domain.hpp"

#include <CGAL/Labeled_mesh_domain_3.h>
#include <CGAL/Mesh_domain_with_polyline_features_3.h>
#include <CGAL/Mesh_complex_3_in_triangulation_3.h>
#include <CGAL/Mesh_criteria_3.h>
#include <CGAL/Mesh_triangulation_3.h>
// Order matters: make_mesh_3.h brings the worksharing types the parallel exuder needs.
#include <CGAL/make_mesh_3.h>
#include <CGAL/refine_mesh_3.h>
#include <CGAL/perturb_mesh_3.h>
#include <CGAL/odt_optimize_mesh_3.h>
#include <CGAL/lloyd_optimize_mesh_3.h>
#include <CGAL/exude_mesh_3.h>

#ifdef CGAL_LINKED_WITH_TBB
#include <tbb/global_control.h>
#endif

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <unordered_map>

namespace gssa_mesher_internal {

namespace {

using Domain = CGAL::Mesh_domain_with_polyline_features_3<CGAL::Labeled_mesh_domain_3<K>>;

struct NullIndex {
    bool operator()(int x) const { return x <= 0; }
};

struct SizeField {
    const gssa_mesher *m;
    template <class Index> FT operator()(const Point &p, int, const Index &) const { return m->size(p); }
};

inline const int *as_curve(const int &i) { return &i; }
template <class V> const int *as_curve(const V &v) { return boost::get<int>(&v); }

/// Edge size of the protected curves: the local size, capped per curve (needle rims).
struct EdgeSizeField {
    const gssa_mesher *m;
    const std::unordered_map<int, double> *caps;
    template <class Index> FT operator()(const Point &p, int dim, const Index &index) const {
        double s = m->size(p);
        if (dim == 1)
            if (const int *c = as_curve(index)) {
                auto it = caps->find(*c);
                if (it != caps->end()) s = std::min(s, it->second);
            }
        return s;
    }
};

struct DistanceField {
    const gssa_mesher *m;
    template <class Index> FT operator()(const Point &p, int, const Index &) const {
        return m->size(p) * m->params.facet_distance_ratio;
    }
};

/// Thrown by ``StepBudget`` to end the perturber; caught around it.
struct StepBudgetSpent {};

/// Perturber visitor: counts the vertex moves tried and ends the perturbation once `limit` are
/// spent. Unlike a time limit, a step bound gives the same mesh on every run. Only used
/// sequentially (an exception must not cross the parallel perturber's tasks and zone locks).
template <class FT_> struct StepBudget {
    long long *steps;
    long long limit;
    void bound_reached(const FT_ &) {}
    void end_of_perturbation_iteration(std::size_t) {
        if (++*steps >= limit) throw StepBudgetSpent{};
    }
};

/// Sliver perturbation up to the 10-degree target: with `time_limit` > 0 on a wall-clock budget,
/// else (one thread only) bounded by a step count, which is reproducible.
template <class C3T3, class Concurrency>
void perturb(C3T3 &c3t3, const Domain &domain, const gssa_mesher *m, double time_limit) {
    namespace p = CGAL::parameters;
    using Tr = typename C3T3::Triangulation;
    if (time_limit > 0 || !std::is_same<Concurrency, CGAL::Sequential_tag>::value) {
        // (In parallel `time_limit` is always set: an exception must not cross the tasks.)
        CGAL::perturb_mesh_3(c3t3, domain, p::time_limit = time_limit, p::sliver_bound = 10);
        return;
    }
    using Criterion = CGAL::Mesh_3::Min_dihedral_angle_criterion<Tr>;
    Criterion criterion(10, c3t3.triangulation());
    using Visitor = StepBudget<typename Tr::Geom_traits::FT>;
    using Perturber = CGAL::Mesh_3::Sliver_perturber<C3T3, Domain, Criterion, Visitor>;
    Perturber perturber(c3t3, domain, criterion);
    // CGAL's default perturbations, in its order (the type does not depend on the visitor);
    // the perturber owns and deletes them.
    for (auto *perturbation : CGAL::default_perturbation_vector(c3t3, domain, criterion))
        perturber.add_perturbation(perturbation);
    long long steps = 0;
    long long limit = m->params.optimise_max_steps > 0 ? m->params.optimise_max_steps
                                                        : (long long)c3t3.triangulation().number_of_vertices();
    bool spent = false;
    try {
        perturber(Visitor{&steps, limit});
    } catch (const StepBudgetSpent &) {
        spent = true;
        // The perturber's cached sliver values may be stale for the exuder: drop them.
        for (auto c = c3t3.triangulation().finite_cells_begin(); c != c3t3.triangulation().finite_cells_end(); ++c)
            c->reset_cache_validity();
    }
}

/// Inserts a vertex on every surface component the probes find, then Mesh_3's own initial points.
template <class C3T3> void seed(C3T3 &c3t3, const Domain &domain, const gssa_mesher *m) {
    using Tr = typename C3T3::Triangulation;
    auto &tr = c3t3.triangulation();
    auto weighted = tr.geom_traits().construct_weighted_point_3_object();
    // After feature protection: a seed inside a protecting ball would break the protection.
    auto free_at = [&](const Point &p) {
        if (tr.number_of_vertices() == 0) return true;
        auto v = tr.nearest_power_vertex(p);
        if (v == typename Tr::Vertex_handle() || tr.is_infinite(v)) return true;
        const auto &w = tr.point(v);
        return CGAL::squared_distance(p, w.point()) > 1.0001 * w.weight();
    };
    auto intersect = domain.construct_intersection_object();
    std::vector<Probe> probes;
    for (auto &r : m->regions) r->solid->seeds(probes);
    if (m->params.bounding_radius > 0) {
        Point c(m->centre[0], m->centre[1], m->centre[2]);
        for (int axis = 0; axis < 3; ++axis)
            for (int sgn : {-1, 1}) {
                Vector n(axis == 0 ? sgn : 0, axis == 1 ? sgn : 0, axis == 2 ? sgn : 0);
                probes.emplace_back(c + m->params.bounding_radius * n, n, 0.05 * m->params.bounding_radius);
            }
    }
    for (auto &[pt, n, half] : probes) {
        // Only surfaces that bound a meshed (positive) label are worth seeding; a surface between
        // two null labels (e.g. a hole outside the organ) would make the refiner chase nothing.
        Point inner = pt - half * n, outer = pt + half * n;
        if (m->label(inner) <= 0 && m->label(outer) <= 0) continue;
        auto hit = intersect(K::Segment_3(inner, outer));
        if (std::get<2>(hit) == 0) continue;
        if (!free_at(std::get<0>(hit))) continue;
        auto v = tr.insert(weighted(std::get<0>(hit)));
        if (v == typename Tr::Vertex_handle()) continue;
        c3t3.set_dimension(v, 2);
        c3t3.set_index(v, std::get<1>(hit));
    }
    std::vector<std::pair<Point, typename Domain::Index>> initial;
    domain.construct_initial_points_object()(std::back_inserter(initial), 20);
    for (auto &[pt, index] : initial) {
        if (!free_at(pt)) continue;
        auto v = tr.insert(weighted(pt));
        if (v == typename Tr::Vertex_handle()) continue;
        c3t3.set_dimension(v, 2);
        c3t3.set_index(v, index);
    }
}

/// The face of `cell` opposite its vertex `i`, ordered so that its normal points out of `cell`.
template <class Tr>
std::array<typename Tr::Vertex_handle, 3> outward_face(const Tr &tr, typename Tr::Cell_handle cell, int i) {
    int idx[3], k = 0;
    for (int j = 0; j < 4; ++j)
        if (j != i) idx[k++] = j;
    Point a = tr.point(cell->vertex(idx[0])).point(), b = tr.point(cell->vertex(idx[1])).point(),
          c = tr.point(cell->vertex(idx[2])).point(), apex = tr.point(cell->vertex(i)).point();
    if (CGAL::orientation(a, b, c, apex) == CGAL::POSITIVE) std::swap(idx[1], idx[2]);
    return {cell->vertex(idx[0]), cell->vertex(idx[1]), cell->vertex(idx[2])};
}

/// Copies the complex into flat arrays: used vertices only (1-based), cells with the user's
/// subdomain ids, boundary facets with the user's boundary ids, oriented out of the meshed cell.
template <class C3T3> void extract(const C3T3 &c3t3, const gssa_mesher *m, MeshArrays &A) {
    using Tr = typename C3T3::Triangulation;
    const auto &tr = c3t3.triangulation();
    std::unordered_map<typename Tr::Vertex_handle, std::size_t> ids;
    ids.reserve(tr.number_of_vertices());
    A = MeshArrays{};
    auto node = [&](typename Tr::Vertex_handle v) {
        auto it = ids.find(v);
        if (it != ids.end()) return it->second;
        std::size_t id = ids.size() + 1;
        ids.emplace(v, id);
        const auto &pt = tr.point(v);
        A.coords.push_back(pt.x());
        A.coords.push_back(pt.y());
        A.coords.push_back(pt.z());
        return id;
    };
    for (auto c = c3t3.cells_in_complex_begin(); c != c3t3.cells_in_complex_end(); ++c) {
        for (int i = 0; i < 4; ++i) A.tets.push_back(node(c->vertex(i)));
        A.tet_labels.push_back(m->subdomain_id(c3t3.subdomain_index(c)));
    }
    for (auto f = c3t3.facets_in_complex_begin(); f != c3t3.facets_in_complex_end(); ++f) {
        auto patch = c3t3.surface_patch_index(*f);
        int label = m->boundary_id(patch.first, patch.second);
        if (label == 0) continue;
        auto cell = f->first;
        int i = f->second;
        if (!c3t3.is_in_complex(cell)) {
            auto mirror = tr.mirror_facet(*f);
            cell = mirror.first;
            i = mirror.second;
        }
        for (auto v : outward_face(tr, cell, i)) A.triangles.push_back(node(v));
        A.triangle_labels.push_back(label);
    }
}

/// Copies the labelled surfaces as the boundaries of the complex's labelled cells: every facet
/// between a meshed cell and a cell of another label, once, oriented out of the meshed cell (the
/// higher label when both are meshed), with the labels on both sides. Taken from the cells, not
/// from CGAL's surface facets, so that each label's boundary is closed, which HXT needs.
template <class C3T3> void extract_surfaces(const C3T3 &c3t3, const gssa_mesher *m, LabelledSurfaces &S) {
    using Tr = typename C3T3::Triangulation;
    const auto &tr = c3t3.triangulation();
    std::unordered_map<typename Tr::Vertex_handle, std::size_t> ids;
    S = LabelledSurfaces{};
    auto node = [&](typename Tr::Vertex_handle v) {
        auto [it, added] = ids.emplace(v, ids.size());
        if (added) {
            const auto &pt = tr.point(v);
            S.coords.insert(S.coords.end(), {pt.x(), pt.y(), pt.z()});
        }
        return it->second;
    };
    for (auto cell = c3t3.cells_in_complex_begin(); cell != c3t3.cells_in_complex_end(); ++cell) {
        int inside = c3t3.subdomain_index(cell);
        for (int i = 0; i < 4; ++i) {
            auto next = cell->neighbor(i);
            int outside;
            if (c3t3.is_in_complex(next)) {
                outside = c3t3.subdomain_index(next);
                if (outside >= inside) continue; // the same label, or the higher label's cell keeps it
            } else if (c3t3.is_in_complex(cell, i)) {
                auto patch = c3t3.surface_patch_index(cell, i);
                outside = patch.first == inside ? patch.second : patch.first;
            } else {
                // A null neighbour without a surface facet between: its label where CGAL would
                // read it (the neighbour's dual point); the organ's outside on the hull, or when
                // that point reads as meshed.
                outside = tr.is_infinite(next) ? kOrgan : m->label(tr.dual(next));
                if (outside > 0) outside = kOrgan;
            }
            for (auto v : outward_face(tr, cell, i)) S.triangles.push_back(node(v));
            S.sides.push_back({inside, outside});
        }
    }
}

template <class Concurrency> gssa_status mesh_with(gssa_mesher *m) {
    using Tr = typename CGAL::Mesh_triangulation_3<Domain, CGAL::Default, Concurrency>::type;
    using C3T3 = CGAL::Mesh_complex_3_in_triangulation_3<Tr, typename Domain::Corner_index,
                                                         typename Domain::Curve_index>;
    using Criteria = CGAL::Mesh_criteria_3<Tr>;
    namespace p = CGAL::parameters;

    const gssa_mesher *cm = m;
    std::function<int(const Point &)> fn = [cm](const Point &x) { return cm->label(x); };
    const auto &b = m->domain_box;
    CGAL::Random rng(0);
    Domain domain(fn, K::Iso_cuboid_3(b.xmin(), b.ymin(), b.zmin(), b.xmax(), b.ymax(), b.zmax()),
                  p::relative_error_bound = m->params.relative_error_bound, p::p_rng = &rng,
                  p::null_subdomain_index = NullIndex());
    double tf = now();
    std::vector<double> curve_sizes;
    std::vector<std::vector<Point>> curves;
    if (m->params.protect_features) curves = feature_polylines(m, curve_sizes);
    std::vector<int> curve_ids;
    domain.add_features(curves.begin(), curves.end(), std::back_inserter(curve_ids));
    std::unordered_map<int, double> caps;
    for (std::size_t k = 0; k < curve_ids.size() && k < curve_sizes.size(); ++k) caps[curve_ids[k]] = curve_sizes[k];
    m->timings.push_back({"features", now() - tf});
    SizeField size{m};
    DistanceField distance{m};
    EdgeSizeField edge{m, &caps};
    // With HXT filling the volumes, CGAL's cells only need a bounded radius-edge ratio (no
    // size): their circumcentres then stay near them, so the labelled cells follow the surfaces.
    // Without it the labels of long cells staircase the surfaces (needles.xml: 4.2 instead of
    // 10.5 degrees, the main example 5.9 instead of 8.4); with the cell size too, the sphere
    // benchmark's surface stage takes 5x longer.
    const bool hxt = m->params.volume_mesher == GSSA_VOLUME_HXT;
    Criteria criteria = hxt ? Criteria(p::edge_size = edge, p::facet_angle = m->params.facet_angle, p::facet_size = size,
                                       p::facet_distance = distance,
                                       p::cell_radius_edge_ratio = m->params.cell_radius_edge_ratio)
                            : Criteria(p::edge_size = edge, p::facet_angle = m->params.facet_angle, p::facet_size = size,
                                       p::facet_distance = distance,
                                       p::cell_radius_edge_ratio = m->params.cell_radius_edge_ratio, p::cell_size = size);

    double t0 = now();
    C3T3 c3t3;
    if (!curves.empty()) {
        // Protecting balls never shrink below a tenth of the smallest curve size: without a
        // floor, curves that nearly touch make the protection refine forever.
        double floor_size = std::numeric_limits<double>::infinity();
        for (double s : curve_sizes) floor_size = std::min(floor_size, 0.1 * s);
        using Wrapper = CGAL::Mesh_3::internal::Edge_criteria_sizing_field_wrapper<typename Criteria::Edge_criteria>;
        CGAL::Mesh_3::Protect_edges_sizing_field<C3T3, Domain, Wrapper> protect(
            c3t3, domain, Wrapper(criteria.edge_criteria_object()), floor_size);
        protect(true);
    }
    seed(c3t3, domain, m);
    if (hxt) {
        // (No `manifold()`: where surfaces cut each other it refines without end.)
        CGAL::refine_mesh_3(c3t3, domain, criteria, p::no_lloyd(), p::no_odt(), p::no_perturb(), p::no_exude(),
                            p::no_reset_c3t3());
        double t1 = now();
        m->timings.push_back({"surfaces", t1 - t0});
        LabelledSurfaces surfaces;
        extract_surfaces(c3t3, cm, surfaces);
        m->timings.push_back({"extract", now() - t1});
        c3t3.clear();
        c3t3.triangulation().clear();
        if (surfaces.sides.empty())
            return m->fail(GSSA_MESH_EMPTY,
                           "meshing produced no surface: the labelled domain is empty (check the organ, extent and holes)");
        std::string error;
        bool filled = fill_volumes_with_hxt(
            surfaces, [cm](double x, double y, double z) { return cm->size(Point(x, y, z)); },
            [cm](int label) { return cm->subdomain_id(label); }, [cm](int a, int b) { return cm->boundary_id(a, b); },
            m->params.optimise != 0, m->arrays, m->timings, error);
        if (!filled) return m->fail(GSSA_MESH_INTERNAL, error);
        return GSSA_MESH_OK;
    }
    CGAL::refine_mesh_3(c3t3, domain, criteria, p::no_lloyd(), p::no_odt(), p::no_perturb(), p::no_exude(),
                        p::no_reset_c3t3());
    double t1 = now();
    m->timings.push_back({"refine", t1 - t0});
    if (m->params.optimise) {
        // One thread: no wall-clock budget unless asked for; the perturber stops at the 10-degree
        // target or its step bound, the exuder when nothing improves, so one input gives one mesh.
        // Several threads (never reproducible): each optimiser gets as long as refinement took
        // (at least 1 s), as unbounded parallel optimisation costs several times that.
        bool sequential = std::is_same<Concurrency, CGAL::Sequential_tag>::value;
        double limit = m->params.optimise_time_limit > 0 ? m->params.optimise_time_limit
                       : sequential                     ? 0.0
                                                        : std::max(1.0, t1 - t0);
        if (m->params.optimise_smoother > 0 && m->params.optimise_smoother_iterations > 0) {
            // A global smoother with an iteration bound and no time limit, so one thread stays
            // reproducible; it moves interior and surface vertices, never protected ones.
            int n = m->params.optimise_smoother_iterations;
            if (m->params.optimise_smoother == 2)
                CGAL::lloyd_optimize_mesh_3(c3t3, domain, p::time_limit = 0, p::max_iteration_number = n,
                                            p::convergence = 0.02, p::freeze_bound = 0.01);
            else
                CGAL::odt_optimize_mesh_3(c3t3, domain, p::time_limit = 0, p::max_iteration_number = n,
                                          p::convergence = 0.02, p::freeze_bound = 0.01);
            double ts = now();
            m->timings.push_back({m->params.optimise_smoother == 2 ? "lloyd" : "odt", ts - t1});
            t1 = ts;
        }
        perturb<C3T3, Concurrency>(c3t3, domain, m, limit);
        double t2 = now();
        m->timings.push_back({"perturb", t2 - t1});
        CGAL::exude_mesh_3(c3t3, p::time_limit = limit, p::sliver_bound = 0);
        m->timings.push_back({"exude", now() - t2});
    }
    double te = now();
    extract(c3t3, m, m->arrays);
    m->timings.push_back({"extract", now() - te});
    if (m->arrays.tet_labels.empty())
        return m->fail(GSSA_MESH_EMPTY,
                       "meshing produced no tetrahedra: the labelled domain is empty (check the organ, extent and holes)");
    return GSSA_MESH_OK;
}

} // namespace

namespace {
gssa_status mesh_with_threads(gssa_mesher *m) {
#ifdef CGAL_LINKED_WITH_TBB
    // With HXT the surfaces are refined sequentially (a fraction of the work, and the same
    // surfaces every run) and HXT runs one thread too, so the mesh never depends on timing.
    if (m->params.threads > 1 && m->params.volume_mesher != GSSA_VOLUME_HXT) {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, std::size_t(m->params.threads));
        return mesh_with<CGAL::Parallel_tag>(m);
    }
#endif
    return mesh_with<CGAL::Sequential_tag>(m);
}
} // namespace

gssa_status refine_and_extract(gssa_mesher *m) {
    gssa_status status = mesh_with_threads(m);
    if (status != GSSA_MESH_INTERNAL || m->params.volume_mesher != GSSA_VOLUME_HXT) return status;
    // HXT could not fill the volumes (it refuses some surfaces CGAL accepts): mesh them with
    // CGAL instead rather than fail the run, and say so in the report.
    std::string reason = m->error;
    m->params.volume_mesher = GSSA_VOLUME_CGAL;
    status = mesh_with_threads(m);
    m->params.volume_mesher = GSSA_VOLUME_HXT;
    if (status == GSSA_MESH_OK) m->arrays.hxt_failure = reason;
    return status;
}

} // namespace gssa_mesher_internal
