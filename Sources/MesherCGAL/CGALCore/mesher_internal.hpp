// Plain C++ data shared between the CGAL translation unit and the cheap ones
// (surface reading, MSH writing). No CGAL headers here on purpose.
#pragma once
#include <array>
#include <cstddef>
#include <string>
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
struct MeshArrays {
    std::vector<double> coords;             // 3 per node
    std::vector<std::size_t> tets;          // 4 per tetrahedron, 1-based node tags
    std::vector<int> tet_labels;
    std::vector<std::size_t> triangles;     // 3 per triangle, 1-based node tags
    std::vector<int> triangle_labels;
};

/// Writes MSH 2.2 or 4.1, ASCII or binary, through the gmsh C++ API.
bool write_msh_with_gmsh(const MeshArrays &mesh, const std::string &path, int version, bool binary,
                         std::string &error);

} // namespace gssa_mesher_internal
