// Baseline for `Benchmarks/mesh/run.sh` on multi-region examples (the main example): plain CGAL
// Mesh_3, `make_mesh_3` then `perturb_mesh_3` and `exude_mesh_3`, on the same labelled domain and
// with the same criteria as `gssa mesh --volume-mesher cgal`:
//   - the domain is ours, built through MesherCGAL's C API from `gssa mesh --plan`'s regions: the
//     same label function (organ, zones by priority, holes, activity spheres, extent) and box;
//   - facet angle, facet size = the size field, facet distance = ratio × size, radius-edge
//     ratio, cell size = the size field, the same relative error bound;
//   - perturb (sliver bound 10°) and exude, each with a time limit of max(1 s, refine time),
//     as `raw_cgal_mesh3.cpp` does for the sphere.
// Nothing else: CGAL's own initial points (no seeding of thin parts), no HXT, no quality
// retries, no extraction of labelled arrays, no report, no file written.
// Input on stdin, one item per line (run.sh writes it from mesh_plan.json):
//   param NAME VALUE                      a gssa_mesh_params field (see below)
//   surface ROLE ID CL PRIORITY PATH      a closed STL/OFF surface (the path ends the line)
//   cylinder ROLE ID CL PRIORITY AX AY AZ BX BY BZ R
//   activity OX OY OZ R INACTIVE_ID      applies to the region on the line before
// ROLE: organ, extent, vessel, needle, zone. Output: one JSON line on stdout.
// Usage: raw_cgal_domain THREADS < plan.txt
#include "domain.hpp"
#include "min_dihedral.hpp"

#include <CGAL/Labeled_mesh_domain_3.h>
#include <CGAL/Mesh_complex_3_in_triangulation_3.h>
#include <CGAL/Mesh_criteria_3.h>
#include <CGAL/Mesh_triangulation_3.h>
#include <CGAL/make_mesh_3.h>
#include <CGAL/perturb_mesh_3.h>
#include <CGAL/exude_mesh_3.h>

#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#ifdef CGAL_LINKED_WITH_TBB
#include <tbb/global_control.h>
#endif

using namespace gssa_mesher_internal;
using Domain = CGAL::Labeled_mesh_domain_3<K>;

namespace {

struct NullIndex {
    bool operator()(int x) const { return x <= 0; }
};

struct Item {
    std::string kind, role, path, name;
    int id = 0, priority = 0;
    double cl = 0, a[3] = {0, 0, 0}, b[3] = {0, 0, 0}, r = 0;
    std::optional<gssa_activity> activity;
};

[[noreturn]] void fail(const std::string &message) {
    std::cerr << "raw_cgal_domain: " << message << "\n";
    std::exit(2);
}

bool set_param(gssa_mesh_params &p, const std::string &name, double v) {
    static const std::map<std::string, double gssa_mesh_params::*> reals = {
        {"near_field", &gssa_mesh_params::near_field}, {"far_field", &gssa_mesh_params::far_field},
        {"zone_field", &gssa_mesh_params::zone_field}, {"granularity", &gssa_mesh_params::granularity},
        {"centre_radius", &gssa_mesh_params::centre_radius}, {"zone_radius", &gssa_mesh_params::zone_radius},
        {"bounding_radius", &gssa_mesh_params::bounding_radius}};
    static const std::map<std::string, int gssa_mesh_params::*> ints = {
        {"tissue_id", &gssa_mesh_params::tissue_id}, {"extent_id", &gssa_mesh_params::extent_id},
        {"mark_zone_boundaries", &gssa_mesh_params::mark_zone_boundaries}, {"solid_zone", &gssa_mesh_params::solid_zone},
        {"boundary_tree", &gssa_mesh_params::boundary_tree}, {"omit_needle_tree", &gssa_mesh_params::omit_needle_tree},
        {"omit_zone_tree", &gssa_mesh_params::omit_zone_tree}, {"dense_centre", &gssa_mesh_params::dense_centre}};
    if (auto it = reals.find(name); it != reals.end()) return p.*(it->second) = v, true;
    if (auto it = ints.find(name); it != ints.end()) return p.*(it->second) = int(v), true;
    if (name == "centre_x" || name == "centre_y" || name == "centre_z") {
        p.centre[name.back() - 'x'] = v;
        p.has_centre = 1;
        return true;
    }
    return false;
}

gssa_role role_of(const std::string &s) {
    if (s == "organ") return GSSA_ROLE_ORGAN;
    if (s == "extent") return GSSA_ROLE_EXTENT;
    if (s == "vessel") return GSSA_ROLE_VESSEL;
    if (s == "needle") return GSSA_ROLE_NEEDLE;
    if (s == "zone") return GSSA_ROLE_ZONE;
    fail("unknown role " + s);
}

template <class Concurrency> int run(const gssa_mesher *m) {
    using Tr = typename CGAL::Mesh_triangulation_3<Domain, CGAL::Default, Concurrency>::type;
    using C3T3 = CGAL::Mesh_complex_3_in_triangulation_3<Tr>;
    using Criteria = CGAL::Mesh_criteria_3<Tr>;
    namespace p = CGAL::parameters;
    auto t0 = std::chrono::steady_clock::now();
    std::function<int(const Point &)> fn = [m](const Point &x) { return m->label(x); };
    const auto &b = m->domain_box;
    CGAL::Random rng(0);
    Domain domain(fn, K::Iso_cuboid_3(b.xmin(), b.ymin(), b.zmin(), b.xmax(), b.ymax(), b.zmax()),
                  p::relative_error_bound = m->params.relative_error_bound, p::p_rng = &rng,
                  p::null_subdomain_index = NullIndex());
    auto size = [m](const Point &x, int, const Domain::Index &) { return m->size(x); };
    auto distance = [m](const Point &x, int, const Domain::Index &) { return m->size(x) * m->params.facet_distance_ratio; };
    Criteria criteria(p::facet_angle = m->params.facet_angle, p::facet_size = size, p::facet_distance = distance,
                      p::cell_radius_edge_ratio = m->params.cell_radius_edge_ratio, p::cell_size = size);
    C3T3 c3t3 = CGAL::make_mesh_3<C3T3>(domain, criteria, p::no_perturb(), p::no_exude(), p::no_lloyd(), p::no_odt());
    double refine = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::size_t refined = c3t3.number_of_cells_in_complex();
    double limit = std::max(1.0, refine);
    CGAL::perturb_mesh_3(c3t3, domain, p::time_limit = limit, p::sliver_bound = 10);
    CGAL::exude_mesh_3(c3t3, p::time_limit = limit, p::sliver_bound = 0);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "{\"tetrahedra\":" << c3t3.number_of_cells_in_complex() << ",\"refined_tetrahedra\":" << refined
              << ",\"refine_seconds\":" << refine << ",\"seconds\":" << secs << ",\"min_dihedral\":" << min_dihedral(c3t3)
              << "}" << std::endl;
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    int threads = argc > 1 ? std::atoi(argv[1]) : 1;
    gssa_mesh_params params;
    gssa_mesh_params_default(&params);
    std::vector<Item> items;
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string kind;
        if (!(in >> kind)) continue;
        if (kind == "param") {
            std::string name;
            double v;
            if (!(in >> name >> v) || !set_param(params, name, v)) fail("bad line: " + line);
        } else if (kind == "surface" || kind == "cylinder") {
            Item it;
            it.kind = kind;
            if (!(in >> it.role >> it.id >> it.cl >> it.priority)) fail("bad line: " + line);
            if (kind == "surface") {
                std::getline(in >> std::ws, it.path);
            } else if (!(in >> it.a[0] >> it.a[1] >> it.a[2] >> it.b[0] >> it.b[1] >> it.b[2] >> it.r)) {
                fail("bad line: " + line);
            }
            it.name = "region-" + std::to_string(it.id);
            items.push_back(it);
        } else if (kind == "activity") {
            gssa_activity a{};
            if (items.empty() || !(in >> a.offset[0] >> a.offset[1] >> a.offset[2] >> a.radius >> a.inactive_id))
                fail("bad line: " + line);
            items.back().activity = a;
        } else {
            fail("bad line: " + line);
        }
    }
    gssa_mesher *m = gssa_mesher_new(&params);
    if (!m) fail("cannot allocate the mesher");
    for (auto &it : items) {
        const gssa_activity *activity = it.activity ? &*it.activity : nullptr;
        gssa_status status = it.kind == "surface"
                                 ? gssa_mesher_add_surface(m, role_of(it.role), it.path.c_str(), it.name.c_str(), it.id, it.cl,
                                                           it.priority, activity)
                                 : gssa_mesher_add_cylinder(m, role_of(it.role), it.a, it.b, it.r, it.name.c_str(), it.id,
                                                            it.cl, it.priority, activity);
        if (status != GSSA_MESH_OK) fail(gssa_mesher_error(m));
    }
    if (gssa_mesher_prepare(m) != GSSA_MESH_OK) fail(gssa_mesher_error(m));
#ifdef CGAL_LINKED_WITH_TBB
    if (threads > 1) {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, std::size_t(threads));
        int rc = run<CGAL::Parallel_tag>(m);
        gssa_mesher_free(m);
        return rc;
    }
#endif
    int rc = run<CGAL::Sequential_tag>(m);
    gssa_mesher_free(m);
    return rc;
}
