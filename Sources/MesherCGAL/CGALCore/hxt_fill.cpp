// Volume filling with gmsh's HXT through the gmsh C++ API: CGAL meshes the labelled surfaces
// (refine.cpp), HXT fills and optimises the volumes between them. No CGAL here, so this file
// compiles in seconds.
#include "mesher_internal.hpp"

#include <gmsh.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <sys/mman.h>
#include <exception>
#include <map>
#include <numeric>
#include <set>
#include <stdexcept>

// gmsh 4.8 hands HXT the input nodes in the order of their MVertex addresses (a
// `std::set<MVertex *>` in Gmsh2Hxt), so the mesh depends on where malloc put them: in a process
// with other threads allocating, a different mesh on some runs. While gmsh creates the input
// nodes, this thread's C++ allocations therefore come from a bump region, in increasing
// addresses: node order = our order, and the mesh is the same on every run. Everything else
// goes to malloc as usual. (Later gmsh orders that set by node number.)
namespace {
constexpr std::size_t kBumpSize = std::size_t(1) << 30; // address space, reserved once
thread_local bool bump_active = false;
std::atomic<char *> bump_base{nullptr}; // set once; read by every delete
std::size_t bump_used = 0;              // under gmsh_mutex()

bool in_bump(void *p) {
    auto *c = static_cast<char *>(p);
    char *base = bump_base.load(std::memory_order_relaxed);
    return base && c >= base && c < base + kBumpSize;
}
} // namespace

void *operator new(std::size_t n) {
    if (bump_active) {
        std::size_t rounded = (std::max<std::size_t>(n, 1) + 15) & ~std::size_t(15);
        if (bump_used + rounded <= kBumpSize) {
            void *p = bump_base.load(std::memory_order_relaxed) + bump_used;
            bump_used += rounded;
            return p;
        }
    }
    if (void *p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void *p) noexcept {
    if (!p || in_bump(p)) return; // bump memory is released as a whole
    std::free(p);
}
void operator delete(void *p, std::size_t) noexcept { operator delete(p); }

namespace gssa_mesher_internal {

namespace {

using Pair = std::pair<int, int>;

Pair key_of(const std::array<int, 2> &sides) {
    return {std::min(sides[0], sides[1]), std::max(sides[0], sides[1])};
}

/// Rotates a triangle so that its smallest node comes first (a rotation keeps the orientation).
std::array<std::size_t, 3> rotated(std::array<std::size_t, 3> t) {
    while (t[0] > t[1] || t[0] > t[2]) t = {t[1], t[2], t[0]};
    return t;
}

/// Puts a tetrahedron's smallest node first by an even permutation (orientation kept), then
/// its next smallest second the same way.
std::array<std::size_t, 4> canonical(std::array<std::size_t, 4> t) {
    // Even permutations: cyclic rotations of the last three, and double swaps.
    auto smallest = std::min_element(t.begin(), t.end()) - t.begin();
    switch (smallest) {
    case 1: t = {t[1], t[0], t[3], t[2]}; break;
    case 2: t = {t[2], t[3], t[0], t[1]}; break;
    case 3: t = {t[3], t[2], t[1], t[0]}; break;
    default: break;
    }
    while (t[1] > t[2] || t[1] > t[3]) t = {t[0], t[2], t[3], t[1]};
    return t;
}

double orient(const std::vector<double> &c, const std::array<std::size_t, 4> &t) {
    const double *a = &c[3 * t[0]], *b = &c[3 * t[1]], *d = &c[3 * t[2]], *e = &c[3 * t[3]];
    double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    double v[3] = {d[0] - a[0], d[1] - a[1], d[2] - a[2]};
    double w[3] = {e[0] - a[0], e[1] - a[1], e[2] - a[2]};
    return u[0] * (v[1] * w[2] - v[2] * w[1]) - u[1] * (v[0] * w[2] - v[2] * w[0]) + u[2] * (v[0] * w[1] - v[1] * w[0]);
}

} // namespace

namespace {
/// After gmsh::finalize() has deleted the nodes: hand the pages back and start over.
void release_bump() {
    if (bump_used > 0) madvise(bump_base.load(), kBumpSize, MADV_DONTNEED);
    bump_used = 0;
}
} // namespace

bool fill_volumes_with_hxt(const LabelledSurfaces &in, const std::function<double(double, double, double)> &size,
                           const std::function<int(int)> &subdomain_id, const std::function<int(int, int)> &boundary_id,
                           bool optimise, MeshArrays &out, std::vector<std::pair<std::string, double>> &timings,
                           std::string &error) {
    std::lock_guard<std::mutex> lock(gmsh_mutex());
    double t_start = now();
    try {
        gmsh::initialize(0, nullptr, false);
        gmsh::option::setNumber("General.Terminal", 0);
        gmsh::option::setNumber("General.Verbosity", 1);
        // One thread: HXT's threads gained nothing at the examples' sizes (0.38 s either way for
        // 0.24 M tetrahedra) and gave a different, worse mesh (examples/fenics-ire: 4.3 instead of
        // 8.4 degrees), so the mesh does not depend on the thread count at all.
        gmsh::option::setNumber("General.NumThreads", 1);
        gmsh::option::setNumber("Mesh.Algorithm3D", 10); // HXT
        gmsh::option::setNumber("Mesh.MeshSizeFromCurvature", 0);
        gmsh::option::setNumber("Mesh.Optimize", optimise ? 1 : 0); // HXT's own sliver removal
        // Improve every tetrahedron under 0.35 (gmsh's default 0.3): examples/fenics-ire 7.4 -> 8.4
        // degrees (+0.4 s), the sphere benchmark 15.0 -> 17.3 (+0.02 s).
        gmsh::option::setNumber("Mesh.OptimizeThreshold", 0.35);
        gmsh::model::add("gssa-hxt");

        // One discrete surface per pair of labels; CGAL's triangles as its mesh.
        std::map<Pair, int> surface_of;
        std::map<Pair, std::vector<std::size_t>> triangles_of;
        std::map<Pair, std::vector<std::array<int, 2>>> sides_of;
        for (std::size_t i = 0; i < in.sides.size(); ++i) {
            sides_of[key_of(in.sides[i])].push_back(in.sides[i]);
            auto &v = triangles_of[key_of(in.sides[i])];
            for (int j = 0; j < 3; ++j) v.push_back(in.triangles[3 * i + j] + 1);
        }
        if (triangles_of.empty()) throw std::runtime_error("the labelled surfaces are empty");
        for (auto &[key, _] : triangles_of) {
            int tag = int(surface_of.size()) + 1;
            surface_of[key] = tag;
            gmsh::model::addDiscreteEntity(2, tag);
        }
        std::size_t n = in.coords.size() / 3;
        std::vector<std::size_t> node_tags(n);
        std::iota(node_tags.begin(), node_tags.end(), std::size_t(1));
        {
            // Pages are touched only as used. Without the region (mmap refused) nodes come from
            // malloc: still a valid mesh, only not always the same one.
            if (!bump_base.load()) {
                void *p = mmap(nullptr, kBumpSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
                if (p != MAP_FAILED) bump_base.store(static_cast<char *>(p));
            }
            bump_active = bump_base.load() != nullptr;
            try {
                gmsh::model::mesh::addNodes(2, 1, node_tags, in.coords);
            } catch (...) {
                bump_active = false;
                throw;
            }
            bump_active = false;
        }
        std::size_t next = 1;
        for (auto &[key, nodes] : triangles_of) {
            std::vector<std::size_t> tags(nodes.size() / 3);
            std::iota(tags.begin(), tags.end(), next);
            next += tags.size();
            gmsh::model::mesh::addElementsByType(surface_of[key], 2, tags, nodes);
        }

        // One volume per meshed (positive) label, bounded by every surface that touches it.
        std::set<int> labels;
        for (auto &[key, _] : surface_of) {
            if (key.first > 0) labels.insert(key.first);
            if (key.second > 0) labels.insert(key.second);
        }
        for (int label : labels) {
            std::vector<int> bounding;
            for (auto &[key, tag] : surface_of)
                if (key.first == label || key.second == label) bounding.push_back(tag);
            int loop = gmsh::model::geo::addSurfaceLoop(bounding);
            gmsh::model::geo::addVolume({loop}, label);
        }
        gmsh::model::geo::synchronize();

        gmsh::model::mesh::setSizeCallback([&size](int, int, double x, double y, double z) { return size(x, y, z); });
        double t_generate = now();
        gmsh::model::mesh::generate(3);
        double t_arrays = now();
        timings.push_back({"hxt input", t_generate - t_start});
        timings.push_back({"hxt", t_arrays - t_generate});

        // The tetrahedra's nodes only, in a canonical order (by coordinates), one per position.
        // HXT leaves some input nodes unused and re-creates a node at the same position (how many
        // depended on the run before the bump region above): such twins get one index, so that
        // the mesh has no crack there and the same input gives the same arrays.
        std::map<int, std::pair<std::vector<std::size_t>, std::vector<std::size_t>>> elements;
        for (int label : labels) {
            auto &[element_tags, nodes] = elements[label];
            gmsh::model::mesh::getElementsByType(4, element_tags, nodes, label);
        }
        std::vector<std::size_t> all_tags;
        std::vector<double> all_coords, parametric;
        gmsh::model::mesh::getNodes(all_tags, all_coords, parametric, -1, -1, false, false);
        // gmsh's node tags are dense, so plain vectors indexed by tag replace hash tables.
        std::size_t max_tag = all_tags.empty() ? 0 : *std::max_element(all_tags.begin(), all_tags.end());
        std::vector<std::size_t> slot(max_tag + 1, SIZE_MAX); // gmsh tag -> its entry in all_*
        for (std::size_t k = 0; k < all_tags.size(); ++k) slot[all_tags[k]] = k;
        using Position = std::array<double, 3>;
        auto position = [&](std::size_t k) { return Position{all_coords[3 * k], all_coords[3 * k + 1], all_coords[3 * k + 2]}; };
        std::vector<char> used(max_tag + 1, 0);
        std::vector<std::pair<Position, std::size_t>> placed; // (position, tag) of used nodes
        for (auto &[label, element] : elements)
            for (std::size_t tag : element.second) {
                if (tag > max_tag || slot[tag] == SIZE_MAX) throw std::runtime_error("HXT produced an element on an unknown node");
                if (used[tag]) continue;
                used[tag] = 1;
                placed.push_back({position(slot[tag]), tag});
            }
        std::sort(placed.begin(), placed.end()); // the canonical order
        out = MeshArrays{};
        out.hxt = true;
        std::vector<std::size_t> canonical_index(max_tag + 1, SIZE_MAX); // used gmsh tag -> 0-based index
        std::vector<Position> positions;                                 // distinct positions, sorted
        positions.reserve(placed.size());
        for (auto &[p, tag] : placed) {
            if (positions.empty() || positions.back() != p) {
                positions.push_back(p);
                out.coords.insert(out.coords.end(), p.begin(), p.end());
            }
            canonical_index[tag] = positions.size() - 1;
        }
        // A node's index: its own if a tetrahedron uses it, else its twin's; SIZE_MAX if neither.
        auto find = [&](std::size_t tag) -> std::size_t {
            if (tag > max_tag) return SIZE_MAX;
            if (canonical_index[tag] != SIZE_MAX) return canonical_index[tag];
            if (slot[tag] == SIZE_MAX) return SIZE_MAX;
            Position p = position(slot[tag]);
            auto it = std::lower_bound(positions.begin(), positions.end(), p);
            return it != positions.end() && *it == p ? std::size_t(it - positions.begin()) : SIZE_MAX;
        };
        auto at = [&](std::size_t tag) {
            std::size_t k = find(tag);
            if (k == SIZE_MAX) throw std::runtime_error("a boundary triangle has a node no tetrahedron uses");
            return k;
        };

        // Tetrahedra by internal label, each with its smallest node first, sorted.
        std::vector<std::pair<int, std::array<std::size_t, 4>>> tets;
        for (auto &[label, element] : elements) {
            auto &[element_tags, nodes] = element;
            for (std::size_t e = 0; e < element_tags.size(); ++e) {
                std::array<std::size_t, 4> t{at(nodes[4 * e]), at(nodes[4 * e + 1]), at(nodes[4 * e + 2]), at(nodes[4 * e + 3])};
                double volume = orient(out.coords, t);
                if (volume == 0) throw std::runtime_error("HXT produced a flat tetrahedron");
                if (volume < 0) std::swap(t[2], t[3]);
                tets.push_back({label, canonical(t)});
            }
        }
        if (tets.empty()) throw std::runtime_error("HXT produced no tetrahedra");
        std::sort(tets.begin(), tets.end());

        // Boundary triangles: CGAL's, unless HXT had to split some to recover the boundary; then
        // that surface's new triangles, oriented out of the tetrahedron of its meshed side
        // (the higher label of the pair, as refine.cpp orients them).
        std::vector<std::pair<int, std::array<std::size_t, 3>>> triangles;
        std::map<std::array<std::size_t, 3>, std::vector<std::size_t>> faces; // built on demand
        auto face_key = [](std::array<std::size_t, 3> f) {
            std::sort(f.begin(), f.end());
            return f;
        };
        for (auto &[key, tag] : surface_of) {
            std::vector<std::size_t> element_tags, nodes;
            gmsh::model::mesh::getElementsByType(2, element_tags, nodes, tag);
            const auto &sides = sides_of[key];
            auto keep = [&](const std::array<int, 2> &side, std::array<std::size_t, 3> f) {
                int id = boundary_id(side[0], side[1]);
                if (id != 0) triangles.push_back({id, rotated(f)});
            };
            if (nodes == triangles_of[key]) {
                for (std::size_t e = 0; e < sides.size(); ++e) {
                    // A pocket of a few CGAL cells that HXT left empty (seen beside a needle in
                    // examples/fenics-ire) keeps its triangles but has no tetrahedra: drop them.
                    if (find(nodes[3 * e]) == SIZE_MAX || find(nodes[3 * e + 1]) == SIZE_MAX || find(nodes[3 * e + 2]) == SIZE_MAX) {
                        ++out.dropped_triangles;
                        continue;
                    }
                    keep(sides[e], {at(nodes[3 * e]), at(nodes[3 * e + 1]), at(nodes[3 * e + 2])});
                }
                continue;
            }
            if (faces.empty())
                for (std::size_t t = 0; t < tets.size(); ++t)
                    for (int skip = 0; skip < 4; ++skip) {
                        std::array<std::size_t, 3> f;
                        for (int j = 0, k = 0; j < 4; ++j)
                            if (j != skip) f[k++] = tets[t].second[j];
                        faces[face_key(f)].push_back(4 * t + std::size_t(skip));
                    }
            for (std::size_t e = 0; e < element_tags.size(); ++e) {
                std::array<std::size_t, 3> f{at(nodes[3 * e]), at(nodes[3 * e + 1]), at(nodes[3 * e + 2])};
                std::size_t apex = SIZE_MAX;
                auto it = faces.find(face_key(f));
                if (it != faces.end())
                    for (std::size_t ref : it->second)
                        if (tets[ref / 4].first == key.second) apex = tets[ref / 4].second[ref % 4];
                if (apex == SIZE_MAX) throw std::runtime_error("a boundary triangle has no tetrahedron on its meshed side after HXT");
                // Out of that tetrahedron: its apex must lie behind the triangle.
                if (orient(out.coords, {f[0], f[1], f[2], apex}) > 0) std::swap(f[1], f[2]);
                keep({key.second, key.first}, f);
            }
        }
        std::sort(triangles.begin(), triangles.end());

        for (auto &[label, t] : tets) {
            for (auto v : t) out.tets.push_back(v + 1);
            out.tet_labels.push_back(subdomain_id(label));
        }
        for (auto &[label, t] : triangles) {
            for (auto v : t) out.triangles.push_back(v + 1);
            out.triangle_labels.push_back(label);
        }
        gmsh::model::mesh::removeSizeCallback();
        gmsh::finalize();
        release_bump();
        timings.push_back({"hxt output", now() - t_arrays});
        return true;
    } catch (const std::exception &e) {
        error = std::string("gmsh HXT could not fill the volumes: ") + e.what();
    } catch (...) {
        // gmsh's API throws a non-standard value and keeps its message in the logger.
        std::string last;
        try { gmsh::logger::getLastError(last); } catch (...) {}
        error = "gmsh HXT could not fill the volumes" + (last.empty() ? std::string() : ": " + last);
    }
    try { gmsh::finalize(); } catch (...) {}
    release_bump();
    return false;
}

} // namespace gssa_mesher_internal
