// Baseline for `Benchmarks/mesh/run.sh`: plain CGAL Mesh_3 on the same closed STL with the same
// criteria MesherCGAL uses for a uniform size s (facet angle 25, facet size s, facet distance
// 0.05 s, radius-edge 3, cell size s, relative error 1e-5), nothing else: no labels, no seeding,
// no report, no MSH. With OPT = 1 it then optimises as `gssa mesh` does with several threads:
// perturb (sliver bound 10 degrees) and exude, each with a time limit of max(1 s, refine time).
// Usage: raw_cgal_mesh3 FILE.stl SIZE [THREADS] [OPT]
#include <CGAL/Exact_predicates_inexact_constructions_kernel.h>
#include <CGAL/Labeled_mesh_domain_3.h>
#include <CGAL/Mesh_complex_3_in_triangulation_3.h>
#include <CGAL/Mesh_criteria_3.h>
#include <CGAL/Mesh_triangulation_3.h>
#include <CGAL/make_mesh_3.h>
#include <CGAL/perturb_mesh_3.h>
#include <CGAL/exude_mesh_3.h>
#include <CGAL/AABB_face_graph_triangle_primitive.h>
#include <CGAL/AABB_traits.h>
#include <CGAL/AABB_tree.h>
#include <CGAL/Side_of_triangle_mesh.h>
#include <CGAL/Surface_mesh.h>
#include <CGAL/Polygon_mesh_processing/IO/polygon_mesh_io.h>
#include "min_dihedral.hpp"

#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#ifdef CGAL_LINKED_WITH_TBB
#include <tbb/global_control.h>
#endif

using K = CGAL::Exact_predicates_inexact_constructions_kernel;
using Point = K::Point_3;
using SM = CGAL::Surface_mesh<Point>;
using Tree = CGAL::AABB_tree<CGAL::AABB_traits<K, CGAL::AABB_face_graph_triangle_primitive<SM>>>;
using Side = CGAL::Side_of_triangle_mesh<SM, K, CGAL::Default, Tree>;
using Domain = CGAL::Labeled_mesh_domain_3<K>;

template <class Concurrency> int run(const SM &sm, double s, bool opt) {
    using Tr = typename CGAL::Mesh_triangulation_3<Domain, CGAL::Default, Concurrency>::type;
    using C3T3 = CGAL::Mesh_complex_3_in_triangulation_3<Tr>;
    using Criteria = CGAL::Mesh_criteria_3<Tr>;
    namespace p = CGAL::parameters;
    Tree tree(faces(sm).first, faces(sm).second, sm);
    tree.build();
    Side side(tree);
    auto t0 = std::chrono::steady_clock::now();
    std::function<int(const Point &)> f = [&](const Point &x) { return side(x) == CGAL::ON_BOUNDED_SIDE ? 1 : 0; };
    auto bb = tree.bbox();
    double pad = 0.01 * std::max({bb.xmax() - bb.xmin(), bb.ymax() - bb.ymin(), bb.zmax() - bb.zmin()});
    Domain domain(f, K::Iso_cuboid_3(bb.xmin() - pad, bb.ymin() - pad, bb.zmin() - pad, bb.xmax() + pad, bb.ymax() + pad, bb.zmax() + pad),
                  p::relative_error_bound = 1e-5);
    Criteria criteria(p::facet_angle = 25, p::facet_size = s, p::facet_distance = 0.05 * s, p::cell_radius_edge_ratio = 3,
                      p::cell_size = s);
    C3T3 c3t3 = CGAL::make_mesh_3<C3T3>(domain, criteria, p::no_perturb(), p::no_exude(), p::no_lloyd(), p::no_odt());
    double refine = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (opt) {
        double limit = std::max(1.0, refine);
        CGAL::perturb_mesh_3(c3t3, domain, p::time_limit = limit, p::sliver_bound = 10);
        CGAL::exude_mesh_3(c3t3, p::time_limit = limit, p::sliver_bound = 0);
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double worst = min_dihedral(c3t3);
    std::cout << "{\"tetrahedra\":" << c3t3.number_of_cells_in_complex() << ",\"seconds\":" << secs
              << ",\"min_dihedral\":" << worst << "}" << std::endl;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        std::cerr << "usage: raw_cgal_mesh3 FILE.stl SIZE [THREADS] [OPT]\n";
        return 2;
    }
    SM sm;
    if (!CGAL::Polygon_mesh_processing::IO::read_polygon_mesh(argv[1], sm)) {
        std::cerr << "cannot read " << argv[1] << "\n";
        return 2;
    }
    double s = std::atof(argv[2]);
    int threads = argc > 3 ? std::atoi(argv[3]) : 1;
    bool opt = argc > 4 && std::atoi(argv[4]) != 0;
#ifdef CGAL_LINKED_WITH_TBB
    if (threads > 1) {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
        return run<CGAL::Parallel_tag>(sm, s, opt);
    }
#endif
    return run<CGAL::Sequential_tag>(sm, s, opt);
}
