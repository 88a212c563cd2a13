// The C API of gssa_mesher.h: argument checks and exception barriers around the domain
// (domain.cpp), the refiner (refine.cpp), the MSH writer and the report (quality.cpp).
#include "domain.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>

using namespace gssa_mesher_internal;

namespace {

gssa_status add_region(gssa_mesher *m, gssa_role role, const char *name, int id, double cl, int priority,
                       const gssa_activity *activity, std::unique_ptr<Solid> solid) {
    auto r = std::make_unique<Region>();
    r->role = role;
    r->name = name ? name : "";
    r->id = id;
    r->cl = cl > 0 ? cl : m->params.zone_field;
    r->priority = priority;
    if (activity) {
        if (!(activity->radius > 0))
            return m->fail(GSSA_MESH_BAD_INPUT, "activity sphere of '" + r->name + "' must have a positive radius");
        r->has_activity = true;
        r->activity = *activity;
    }
    r->solid = std::move(solid);
    m->regions.push_back(std::move(r));
    m->prepared = false;
    return GSSA_MESH_OK;
}

/// The self-checks' loop: `wrong(solid, point)` for every surface region and point, counted.
template <class Check> std::size_t count_wrong(const gssa_mesher *m, const double *xyz, std::size_t count, Check wrong) {
    std::size_t n = 0;
    for (const auto &region : m->regions) {
        auto *solid = dynamic_cast<const MeshSolid *>(region->solid.get());
        if (!solid) continue;
        for (std::size_t i = 0; i < count; ++i)
            if (wrong(*solid, Point(xyz[3 * i], xyz[3 * i + 1], xyz[3 * i + 2]))) ++n;
    }
    return n;
}

} // namespace

extern "C" {

void gssa_mesh_params_default(gssa_mesh_params *p) {
    *p = gssa_mesh_params{};
    p->centre_radius = 1.0;
    p->zone_radius = 0.0;
    p->tissue_id = 1;
    p->extent_id = -1;
    p->bounding_radius = 50.0;
    p->near_field = 0.3;
    p->far_field = 3.0;
    p->zone_field = 0.3;
    p->granularity = 1.0;
    p->optimise = 1;
    p->threads = 1;
    p->facet_angle = 25.0;
    p->facet_distance_ratio = 0.05;
    p->cell_radius_edge_ratio = 3.0;
    p->optimise_time_limit = 0.0;
    p->relative_error_bound = 1e-5;
    p->optimise_max_steps = 0;
    p->protect_features = 0; // see docs/performance.md: not yet a gain on the examples
    p->optimise_smoother = 0;
    p->optimise_smoother_iterations = 10;
    p->volume_mesher = GSSA_VOLUME_HXT;
    p->quality_retries = 4;
}

gssa_mesher *gssa_mesher_new(const gssa_mesh_params *params) {
    auto *m = new gssa_mesher();
    if (params) m->params = *params;
    else gssa_mesh_params_default(&m->params);
    return m;
}

void gssa_mesher_free(gssa_mesher *m) { delete m; }

const char *gssa_mesher_error(const gssa_mesher *m) { return m->error.c_str(); }

gssa_status gssa_mesher_add_surface(gssa_mesher *m, gssa_role role, const char *path, const char *name, int id,
                                    double cl, int priority, const gssa_activity *activity) {
    try {
        double t0 = now();
        TriangleSurface surface;
        std::string err;
        if (!read_closed_surface(path, surface, err)) return m->fail(GSSA_MESH_BAD_INPUT, err);
        auto solid = std::make_unique<MeshSolid>(surface);
        if (!solid->well_formed())
            return m->fail(GSSA_MESH_BAD_INPUT, std::string("surface '") + path + "' is not a valid polygon mesh");
        if (solid->self_intersects())
            return m->fail(GSSA_MESH_BAD_INPUT, std::string("surface '") + path + "' intersects itself");
        m->timings.push_back({std::string("load ") + (name ? name : path), now() - t0});
        return add_region(m, role, name ? name : path, id, cl, priority, activity, std::move(solid));
    } catch (const std::exception &e) {
        return m->fail(GSSA_MESH_BAD_INPUT, std::string("surface '") + path + "' could not be loaded: " + e.what());
    }
}

gssa_status gssa_mesher_add_cylinder(gssa_mesher *m, gssa_role role, const double a[3], const double b[3],
                                     double radius, const char *name, int id, double cl, int priority,
                                     const gssa_activity *activity) {
    Point pa(a[0], a[1], a[2]), pb(b[0], b[1], b[2]);
    std::string n = name ? name : "cylinder";
    if (!(radius > 0)) return m->fail(GSSA_MESH_BAD_INPUT, "cylinder '" + n + "' must have a positive radius");
    if (!(CGAL::squared_distance(pa, pb) > 0)) return m->fail(GSSA_MESH_BAD_INPUT, "cylinder '" + n + "' has zero length");
    return add_region(m, role, name, id, cl, priority, activity, std::make_unique<CylinderSolid>(pa, pb, radius));
}

gssa_status gssa_mesher_prepare(gssa_mesher *m) {
    try {
        return prepare_domain(m);
    } catch (const std::exception &e) {
        return m->fail(GSSA_MESH_INTERNAL, std::string("preparing the domain failed: ") + e.what());
    }
}

double gssa_mesher_estimate_cells(gssa_mesher *m, int samples) {
    if (!m->prepared || samples <= 0) return -1;
    try {
        double t0 = now();
        double estimate = estimate_cells(m, samples);
        m->timings.push_back({"estimate", now() - t0});
        return estimate;
    } catch (const std::exception &e) {
        m->fail(GSSA_MESH_INTERNAL, std::string("estimating the mesh size failed: ") + e.what());
        return -1;
    }
}

gssa_status gssa_mesher_run(gssa_mesher *m) {
    if (!m->prepared) {
        gssa_status s = gssa_mesher_prepare(m);
        if (s != GSSA_MESH_OK) return s;
    }
    m->report.clear();
    try {
        return mesh_to_quality_target(m);
    } catch (const std::exception &e) {
        return m->fail(GSSA_MESH_INTERNAL, std::string("CGAL meshing failed: ") + e.what());
    }
}

size_t gssa_mesher_vertex_count(const gssa_mesher *m) { return m->arrays.coords.size() / 3; }
size_t gssa_mesher_tetrahedron_count(const gssa_mesher *m) { return m->arrays.tet_labels.size(); }
size_t gssa_mesher_triangle_count(const gssa_mesher *m) { return m->arrays.triangle_labels.size(); }

gssa_status gssa_mesher_write_msh(gssa_mesher *m, const char *path, int version, int binary) {
    if (m->arrays.tet_labels.empty()) return m->fail(GSSA_MESH_EMPTY, "nothing to write: no mesh was produced");
    double t0 = now();
    std::string err;
    if (!write_msh_with_gmsh(m->arrays, m->names, path, version, binary != 0, err))
        return m->fail(GSSA_MESH_INTERNAL, err);
    m->timings.push_back({"write", now() - t0});
    return GSSA_MESH_OK;
}

size_t gssa_mesher_report_json(const gssa_mesher *m, char *buffer, size_t capacity) {
    if (m->report.empty() || m->report_timings != m->timings.size()) {
#ifdef CGAL_LINKED_WITH_TBB
        constexpr bool tbb = true;
#else
        constexpr bool tbb = false;
#endif
        m->report = m->arrays.tet_labels.empty()
                        ? std::string("{}")
                        : mesh_report_json(m->arrays, m->names, m->timings, m->params.threads, tbb);
        m->report_timings = m->timings.size();
    }
    const std::string &json = m->report;
    if (buffer && capacity > 0) {
        std::size_t n = std::min(json.size(), capacity - 1);
        std::memcpy(buffer, json.data(), n);
        buffer[n] = '\0';
    }
    return json.size();
}

size_t gssa_mesher_check_inside(const gssa_mesher *m, const double *xyz, size_t count, size_t *decided) {
    return count_wrong(m, xyz, count, [decided](const MeshSolid &solid, const Point &p) {
        int answer = solid.grid->classify(p);
        if (answer < 0) return false;
        ++*decided;
        return (answer == 1) != ((*solid.side)(p) == CGAL::ON_BOUNDED_SIDE);
    });
}

size_t gssa_mesher_check_distance(const gssa_mesher *m, const double *xyz, size_t count, double limit, size_t *beyond) {
    return count_wrong(m, xyz, count, [limit, beyond](const MeshSolid &solid, const Point &p) {
        double exact = solid.distance(p), bounded = solid.distance_below(p, limit);
        if (exact < limit) return std::abs(bounded - exact) > 1e-12 * (1 + exact);
        ++*beyond;
        return bounded < limit;
    });
}

} // extern "C"
