// MSH output through the gmsh C++ API (libgmsh-dev). Kept out of the CGAL translation unit so
// it compiles quickly. gmsh has process-global state, so calls are serialised by a mutex.
#include "mesher_internal.hpp"

#include <gmsh.h>

#include <exception>
#include <map>
#include <mutex>
#include <set>

namespace gssa_mesher_internal {

std::mutex &gmsh_mutex() {
    static std::mutex m;
    return m;
}

bool write_msh_with_gmsh(const MeshArrays &mesh, const MeshNames &names, const std::string &path, int version,
                         bool binary, std::string &error) {
    if (version != 22 && version != 41) {
        error = "unsupported MSH version " + std::to_string(version) + " (use 22 or 41)";
        return false;
    }
    std::lock_guard<std::mutex> lock(gmsh_mutex());
    try {
        gmsh::initialize(0, nullptr, false);
        gmsh::option::setNumber("General.Terminal", 0);
        gmsh::option::setNumber("General.Verbosity", 1);
        gmsh::model::add("gssa");

        std::map<int, std::vector<std::size_t>> tets_by_label, tris_by_label;
        for (std::size_t i = 0; i < mesh.tet_labels.size(); ++i) {
            auto &v = tets_by_label[mesh.tet_labels[i]];
            v.insert(v.end(), mesh.tets.begin() + 4 * i, mesh.tets.begin() + 4 * i + 4);
        }
        for (std::size_t i = 0; i < mesh.triangle_labels.size(); ++i) {
            auto &v = tris_by_label[mesh.triangle_labels[i]];
            v.insert(v.end(), mesh.triangles.begin() + 3 * i, mesh.triangles.begin() + 3 * i + 3);
        }
        if (tets_by_label.empty()) throw std::runtime_error("no tetrahedra to write");

        for (auto &[label, _] : tets_by_label) gmsh::model::addDiscreteEntity(3, label);
        for (auto &[label, _] : tris_by_label) gmsh::model::addDiscreteEntity(2, label);

        // All nodes live on the first volume entity; elements reference them by tag.
        std::size_t n = mesh.coords.size() / 3;
        std::vector<std::size_t> node_tags(n);
        for (std::size_t i = 0; i < n; ++i) node_tags[i] = i + 1;
        gmsh::model::mesh::addNodes(3, tets_by_label.begin()->first, node_tags, mesh.coords);

        std::size_t next = 1;
        auto add = [&](int tag, int type, const std::vector<std::size_t> &nodes, int per) {
            std::size_t count = nodes.size() / per;
            std::vector<std::size_t> tags(count);
            for (std::size_t i = 0; i < count; ++i) tags[i] = next++;
            gmsh::model::mesh::addElementsByType(tag, type, tags, nodes);
        };
        for (auto &[label, nodes] : tris_by_label) add(label, 2, nodes, 3);
        for (auto &[label, nodes] : tets_by_label) add(label, 4, nodes, 4);
        // Every label is a physical group named after its region, so that gmsh, meshio and
        // dolfin show region names ($PhysicalNames), not only the numbers of mesh_labelling.yml.
        auto group = [](int dim, int label, const std::map<int, std::string> &named) {
            gmsh::model::addPhysicalGroup(dim, {label}, label);
            auto it = named.find(label);
            if (it != named.end() && !it->second.empty()) gmsh::model::setPhysicalName(dim, label, it->second);
        };
        for (auto &[label, _] : tris_by_label) group(2, label, names.boundaries);
        for (auto &[label, _] : tets_by_label) group(3, label, names.subdomains);

        gmsh::option::setNumber("Mesh.MshFileVersion", version == 22 ? 2.2 : 4.1);
        gmsh::option::setNumber("Mesh.Binary", binary ? 1 : 0);
        gmsh::option::setNumber("Mesh.SaveAll", 0);
        gmsh::write(path);
        gmsh::finalize();
        return true;
    } catch (const std::exception &e) {
        error = std::string("gmsh could not write '") + path + "': " + e.what();
    } catch (...) {
        // gmsh's API throws a non-standard value and keeps its message in the logger.
        std::string last;
        try { gmsh::logger::getLastError(last); } catch (...) {}
        error = "gmsh could not write '" + path + "'" + (last.empty() ? std::string() : ": " + last);
    }
    try { gmsh::finalize(); } catch (...) {}
    return false;
}

} // namespace gssa_mesher_internal
