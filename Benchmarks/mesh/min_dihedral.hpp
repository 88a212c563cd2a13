// The smallest dihedral angle (degrees) of the cells of a Mesh_3 complex, as the raw CGAL
// baselines report it (`gssa mesh` and gmsh's meshes are measured by dihedral.py instead).
#pragma once
#include <CGAL/Kernel/global_functions_3.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

template <class C3T3> double min_dihedral(const C3T3 &c3t3) {
    double worst = 180;
    for (auto c = c3t3.cells_in_complex_begin(); c != c3t3.cells_in_complex_end(); ++c) {
        std::decay_t<decltype(c3t3.triangulation().point(c->vertex(0)).point())> q[4];
        for (int i = 0; i < 4; ++i) q[i] = c3t3.triangulation().point(c->vertex(i)).point();
        const int e[6][4] = {{0, 1, 2, 3}, {0, 2, 1, 3}, {0, 3, 1, 2}, {1, 2, 0, 3}, {1, 3, 0, 2}, {2, 3, 0, 1}};
        for (auto &x : e)
            worst = std::min(worst, std::abs(CGAL::approximate_dihedral_angle(q[x[0]], q[x[1]], q[x[2]], q[x[3]])));
    }
    return worst;
}
