// Plain C++ data shared between the CGAL translation units and the cheap ones (surface reading,
// MSH writing, the quality report). No CGAL headers here on purpose.
#pragma once
#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace gssa_mesher_internal {

/// A closed, consistently oriented triangle surface with merged vertices.
struct TriangleSurface {
    std::vector<std::array<double, 3>> points;
    std::vector<std::array<std::size_t, 3>> triangles;
};

/// Reads STL (ASCII or binary) or OFF; merges duplicate vertices; checks that the surface is
/// closed, edge-manifold, consistently oriented and outward facing. Returns false with `error`
/// naming the file on any problem.
bool read_closed_surface(const std::string &path, TriangleSurface &out, std::string &error);

/// The labelled output mesh as flat arrays: nodes are 1-based and only used ones are kept.
/// Tetrahedra are positively oriented; boundary triangles face out of the meshed cell.
struct MeshArrays {
    std::vector<double> coords;             // 3 per node
    std::vector<std::size_t> tets;          // 4 per tetrahedron, 1-based node tags
    std::vector<int> tet_labels;
    std::vector<std::size_t> triangles;     // 3 per triangle, 1-based node tags
    std::vector<int> triangle_labels;
    bool hxt = false;                       // volumes filled by gmsh's HXT
    std::size_t dropped_triangles = 0;      // surface triangles of pockets HXT left empty
    std::string hxt_failure;                // why HXT failed, when CGAL filled the volumes instead
    int tries = 1;                          // meshes made for the quality target (mesh_to_quality_target)
    double facet_angle = 0;                 // the surface criteria of the kept mesh
    double facet_distance_ratio = 0;
};

/// CGAL's labelled surface mesh: every facet between two different labels, oriented so that its
/// normal points out of the meshed cell of label `inside` (0-based node indices).
struct LabelledSurfaces {
    std::vector<double> coords;             // 3 per node
    std::vector<std::size_t> triangles;     // 3 per triangle, 0-based
    std::vector<std::array<int, 2>> sides;  // {inside (meshed, > 0), outside} internal labels
};

/// Fills every positive label's volume bounded by `surfaces` with gmsh's HXT (one thread; element
/// size min(`size`, what the surface implies); HXT's optimisation if `optimise`) and writes the labelled arrays, with the
/// user's ids from `subdomain_id` / `boundary_id` (0: not a boundary), in a canonical order so
/// that one input gives the same bytes on every run. Appends its stages' seconds to `timings`.
bool fill_volumes_with_hxt(const LabelledSurfaces &surfaces, const std::function<double(double, double, double)> &size,
                           const std::function<int(int)> &subdomain_id, const std::function<int(int, int)> &boundary_id,
                           bool optimise, MeshArrays &out, std::vector<std::pair<std::string, double>> &timings,
                           std::string &error);

/// Seconds on a monotonic clock, for the stage timings of the report (defined in solids.cpp).
double now();

/// gmsh has process-global state: every use of its API holds this lock.
std::mutex &gmsh_mutex();

/// The user's names of the subdomain and boundary ids (physical names of the MSH file).
struct MeshNames {
    std::map<int, std::string> subdomains;
    std::map<int, std::string> boundaries;
};

/// Writes MSH 2.2 or 4.1, ASCII or binary, through the gmsh C++ API, with a physical group (and
/// its name, `$PhysicalNames`) for every label.
bool write_msh_with_gmsh(const MeshArrays &mesh, const MeshNames &names, const std::string &path, int version,
                         bool binary, std::string &error);

/// The report's JSON object: counts, per-label tetrahedra/vertices/volume and
/// triangles/area, and the quality figures (dihedral angles, radius-edge ratios, slivers),
/// computed from the arrays alone; `timings` and `threads` close it.
std::string mesh_report_json(const MeshArrays &mesh, const MeshNames &names,
                             const std::vector<std::pair<std::string, double>> &timings, int threads, bool tbb);

/// The minimum dihedral angle a mesh should reach: the report's `slivers_below_10deg` counts the
/// tetrahedra under it, and mesh_to_quality_target retries while there are any.
constexpr double kSliverDegrees = 10;

/// How many tetrahedra of `mesh` have a dihedral angle under `bound` degrees; `smallest` gets the
/// smallest dihedral angle of the mesh (180 when it has no tetrahedra).
std::size_t count_slivers(const MeshArrays &mesh, double bound, double &smallest);

/// `s` as the inside of a JSON string literal.
std::string json_escape(const std::string &s);

} // namespace gssa_mesher_internal
