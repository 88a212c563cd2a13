// The labelled domain: the label function, the size field, the input checks (prepare) and the
// tetrahedron-count estimate.
#include "domain.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <sstream>

using namespace gssa_mesher_internal;

int gssa_mesher::label(const Point &p) const {
    if (params.bounding_radius > 0 && dist2(p, centre) > sq(params.bounding_radius)) return kExtent;
    if (extent && !extent->solid->inside(p)) return kExtent;
    if (organ && !organ->solid->inside(p)) return kOrgan;
    for (std::size_t h = 0; h < holes.size(); ++h)
        if (holes[h]->solid->inside(p)) return hole_label(h);
    for (std::size_t k = 0; k < zones.size(); ++k) {
        const Region &z = *zones[k];
        if (!z.solid->inside(p)) continue;
        if (z.has_activity) {
            double c[3] = {centre[0] + z.activity.offset[0], centre[1] + z.activity.offset[1],
                           centre[2] + z.activity.offset[2]};
            if (dist2(p, c) > sq(z.activity.radius)) return inactive_label(holes.size(), k);
        }
        return zone_label(k);
    }
    return kTissue;
}

double gssa_mesher::grade(double c, double d) const {
    double far = params.far_field;
    if (c >= far) return far;
    double lambda = std::max(1e-12, params.granularity * far);
    return far - (far - c) * std::exp(-std::max(0.0, d) / lambda);
}

double gssa_mesher::reach(double c, double s) const {
    double far = params.far_field;
    if (c >= s) return -1; // never below s
    if (s >= far) return std::numeric_limits<double>::infinity();
    return params.granularity * far * std::log((far - c) / (far - s));
}

double gssa_mesher::size(const Point &p) const {
    double s = params.far_field;
    auto consider = [&](const Solid &solid, double c, double pad) {
        double r = reach(c, s);
        if (r < 0) return;
        if (solid.box_distance(p) - pad >= r) return; // cannot lower s
        double d = solid.distance_below(p, r + pad) - pad;
        if (d < r) s = std::min(s, grade(c, d));
    };
    if (params.dense_centre) {
        double d = std::sqrt(dist2(p, centre)) - params.centre_radius;
        s = std::min(s, grade(params.near_field, d));
    }
    if (!params.omit_needle_tree)
        for (auto *h : holes)
            if (h->role == GSSA_ROLE_NEEDLE) consider(*h->solid, params.near_field, 0);
    if (!params.omit_zone_tree)
        for (auto *z : zones) {
            consider(*z->solid, z->cl, params.zone_radius);
            if (params.solid_zone && z->cl < s && z->solid->inside(p)) s = z->cl;
        }
    if (params.boundary_tree) {
        if (organ) consider(*organ->solid, params.near_field, 0);
        for (auto *h : holes)
            if (h->role == GSSA_ROLE_VESSEL) consider(*h->solid, params.near_field, 0);
    }
    return s;
}

int gssa_mesher::subdomain_id(int internal) const {
    if (internal == kTissue) return params.tissue_id;
    return zones[std::size_t(internal - 2)]->id;
}

int gssa_mesher::boundary_id(int a, int b) const {
    if (a > b) std::swap(a, b); // a <= b
    if (a <= 0 && b > 0) {
        if (a == kExtent) return extent_id;
        if (a == kOrgan) return organ->id;
        int h = -3 - a;
        if (h < int(holes.size())) return holes[std::size_t(h)]->id;
        return zones[std::size_t(h - int(holes.size()))]->activity.inactive_id;
    }
    if (a > 0 && params.mark_zone_boundaries) {
        // The higher-priority zone (lower sorted index) owns an internal interface.
        int winner = (a == kTissue) ? b : std::min(a, b);
        return subdomain_id(winner);
    }
    return 0;
}

namespace gssa_mesher_internal {

gssa_status prepare_domain(gssa_mesher *m) {
    auto &P = m->params;
    if (!(P.near_field > 0) || !(P.far_field > 0) || !(P.zone_field > 0) || !(P.granularity > 0))
        return m->fail(GSSA_MESH_BAD_INPUT, "sizes must be positive (nearfield " + std::to_string(P.near_field) +
                                                ", farfield " + std::to_string(P.far_field) + ", zonefield " +
                                                std::to_string(P.zone_field) + ", granularity " +
                                                std::to_string(P.granularity) + ")");
    if (P.dense_centre && !(P.centre_radius >= 0)) return m->fail(GSSA_MESH_BAD_INPUT, "centre radius must not be negative");
    if (P.tissue_id < 1) return m->fail(GSSA_MESH_BAD_INPUT, "tissue id must be >= 1 (MSH physical tags are positive)");
    if (!(P.facet_angle > 0 && P.facet_angle <= 30))
        return m->fail(GSSA_MESH_BAD_INPUT, "facet angle must be in (0, 30] degrees for termination");
    if (!(P.cell_radius_edge_ratio > 2))
        return m->fail(GSSA_MESH_BAD_INPUT, "cell radius-edge ratio must be > 2 for termination");
    if (!(P.facet_distance_ratio > 0)) return m->fail(GSSA_MESH_BAD_INPUT, "facet distance ratio must be positive");
    m->organ = nullptr;
    m->extent = nullptr;
    m->holes.clear();
    m->zones.clear();
    for (auto &r : m->regions) {
        switch (r->role) {
        case GSSA_ROLE_ORGAN:
            if (m->organ)
                return m->fail(GSSA_MESH_BAD_INPUT,
                               "more than one organ surface given ('" + m->organ->name + "', '" + r->name + "')");
            m->organ = r.get();
            break;
        case GSSA_ROLE_EXTENT:
            if (m->extent) return m->fail(GSSA_MESH_BAD_INPUT, "more than one extent surface given");
            m->extent = r.get();
            break;
        case GSSA_ROLE_VESSEL:
        case GSSA_ROLE_NEEDLE: m->holes.push_back(r.get()); break;
        case GSSA_ROLE_ZONE: m->zones.push_back(r.get()); break;
        default: return m->fail(GSSA_MESH_BAD_INPUT, "unknown role for '" + r->name + "'");
        }
        if (r->id < 1 && !(r->role == GSSA_ROLE_EXTENT))
            return m->fail(GSSA_MESH_BAD_INPUT,
                           "region '" + r->name + "' needs a positive id, got " + std::to_string(r->id));
        if (r->has_activity && r->role != GSSA_ROLE_ZONE)
            return m->fail(GSSA_MESH_BAD_INPUT, "activity sphere given for non-zone region '" + r->name + "'");
        if (r->has_activity && r->activity.inactive_id < 1)
            return m->fail(GSSA_MESH_BAD_INPUT, "zone '" + r->name + "' needs a positive inactive id");
    }
    std::stable_sort(m->zones.begin(), m->zones.end(), [](const Region *a, const Region *b) {
        return a->priority != b->priority ? a->priority < b->priority : a->id < b->id;
    });

    // Centre.
    if (P.has_centre) {
        std::copy(P.centre, P.centre + 3, m->centre);
    } else {
        const Region *ref = m->organ ? m->organ : m->extent;
        if (!ref) return m->fail(GSSA_MESH_BAD_INPUT, "no centre and no organ surface given: cannot place the domain");
        auto bb = ref->solid->bbox;
        m->centre[0] = (bb.xmin() + bb.xmax()) / 2;
        m->centre[1] = (bb.ymin() + bb.ymax()) / 2;
        m->centre[2] = (bb.zmin() + bb.zmax()) / 2;
    }
    Point c(m->centre[0], m->centre[1], m->centre[2]);
    if (m->organ && P.has_centre && !m->organ->solid->inside(c)) {
        std::ostringstream s;
        s << "centre (" << c.x() << ", " << c.y() << ", " << c.z() << ") lies outside the organ '" << m->organ->name
          << "'";
        return m->fail(GSSA_MESH_BAD_INPUT, s.str());
    }

    // Bounding box of the domain: sphere ∩ organ box ∩ extent box.
    double inf = std::numeric_limits<double>::infinity();
    CGAL::Bbox_3 box(-inf, -inf, -inf, inf, inf, inf);
    auto intersect = [](const CGAL::Bbox_3 &a, const CGAL::Bbox_3 &b) {
        return CGAL::Bbox_3(std::max(a.xmin(), b.xmin()), std::max(a.ymin(), b.ymin()), std::max(a.zmin(), b.zmin()),
                            std::min(a.xmax(), b.xmax()), std::min(a.ymax(), b.ymax()), std::min(a.zmax(), b.zmax()));
    };
    if (P.bounding_radius > 0) {
        double R = P.bounding_radius;
        box = intersect(box, CGAL::Bbox_3(c.x() - R, c.y() - R, c.z() - R, c.x() + R, c.y() + R, c.z() + R));
    }
    if (m->organ) box = intersect(box, m->organ->solid->bbox);
    if (m->extent) box = intersect(box, m->extent->solid->bbox);
    if (!std::isfinite(box.xmin()) || !std::isfinite(box.xmax()))
        return m->fail(GSSA_MESH_BAD_INPUT,
                       "the domain is unbounded: give an organ, an extent surface or a positive bounding radius");
    double diam = std::max({box.xmax() - box.xmin(), box.ymax() - box.ymin(), box.zmax() - box.zmin()});
    if (!(diam > 0) || box.xmax() < box.xmin() || box.ymax() < box.ymin() || box.zmax() < box.zmin())
        return m->fail(GSSA_MESH_BAD_INPUT, "the extent has zero diameter (bounding sphere and organ do not overlap)");
    double pad = 0.01 * diam;
    m->domain_box = CGAL::Bbox_3(box.xmin() - pad, box.ymin() - pad, box.zmin() - pad, box.xmax() + pad,
                                 box.ymax() + pad, box.zmax() + pad);

    // Extent id: automatic = smallest positive id not used by another boundary.
    std::set<int> used;
    if (m->organ) used.insert(m->organ->id);
    for (auto *h : m->holes) used.insert(h->id);
    for (auto *z : m->zones)
        if (z->has_activity) used.insert(z->activity.inactive_id);
    if (m->extent && m->extent->id > 0) m->extent_id = m->extent->id;
    else if (P.extent_id > 0) m->extent_id = P.extent_id;
    else {
        int id = 1;
        while (used.count(id)) ++id;
        m->extent_id = id;
    }
    auto &names = m->names;
    names = MeshNames{};
    names.boundaries[m->extent_id] = m->extent ? m->extent->name : "extent";
    if (m->organ) names.boundaries[m->organ->id] = m->organ->name;
    for (auto *h : m->holes) names.boundaries[h->id] = h->name;
    names.subdomains[P.tissue_id] = "tissue";
    for (auto *z : m->zones) {
        names.subdomains[z->id] = z->name;
        if (z->has_activity) names.boundaries[z->activity.inactive_id] = z->name + " inactive";
        if (P.mark_zone_boundaries && !names.boundaries.count(z->id)) names.boundaries[z->id] = z->name;
    }
    m->prepared = true;
    return GSSA_MESH_OK;
}

double estimate_cells(const gssa_mesher *m, int samples) {
    // Integral of 1/s³ over the meshed region, by Monte Carlo with a fixed seed; a CGAL mesh
    // with cell_size = facet_size = s has about 4.5 tetrahedra per s³ (manual's implicit-sphere
    // table, confirmed on our own meshes). HXT fills the same size field with 0.8 times as many
    // (the sphere benchmark: 0.24 M against CGAL's 0.30 M).
    const bool hxt = m->params.volume_mesher == GSSA_VOLUME_HXT;
    const double per_cube = hxt ? 3.6 : 4.5;
    std::mt19937_64 gen(12345);
    const auto &b = m->domain_box;
    std::uniform_real_distribution<double> ux(b.xmin(), b.xmax()), uy(b.ymin(), b.ymax()), uz(b.zmin(), b.zmax());
    double box_volume = (b.xmax() - b.xmin()) * (b.ymax() - b.ymin()) * (b.zmax() - b.zmin());
    double sum = 0;
    for (int i = 0; i < samples; ++i) {
        Point p(ux(gen), uy(gen), uz(gen));
        if (m->label(p) <= 0) continue;
        double s = m->size(p);
        sum += 1.0 / (s * s * s);
    }
    double volume_term = per_cube * box_volume * sum / samples;

    // Thin analytic cylinders (library needles): the facet distance criterion (sag h²/8r ≤
    // ratio·s) refines their surface well below the local size s, which the volume integral does
    // not see. Add the extra layer of elements, 4.5·A·(1/h² − 1/s²), calibrated by kLayer.
    // kLayer = 8: fitted on examples/mesh/needles.xml (9.5) and examples/fenics-ire (6.5). With
    // HXT, whose volume sizes also follow the fine needle surfaces, 16 (fitted 19.3 and 14.4).
    const double kLayer = hxt ? 16.0 : 8.0;
    double layer = 0;
    for (auto &r : m->regions) {
        auto *cyl = dynamic_cast<const CylinderSolid *>(r->solid.get());
        if (!cyl) continue;
        Vector axis = cyl->b - cyl->a;
        double L = std::sqrt(axis.squared_length());
        Vector u = axis / L;
        Vector helper = std::abs(u.x()) < 0.9 ? Vector(1, 0, 0) : Vector(0, 1, 0);
        Vector e1 = CGAL::cross_product(u, helper);
        e1 = e1 / std::sqrt(e1.squared_length());
        Vector e2 = CGAL::cross_product(u, e1);
        const int NT = 32, NA = 8;
        double dA = 2 * kPi * cyl->r * L / (NT * NA);
        for (int i = 0; i < NT; ++i)
            for (int j = 0; j < NA; ++j) {
                double th = 2 * kPi * (j + 0.5) / NA;
                Vector n = std::cos(th) * e1 + std::sin(th) * e2;
                Point p = cyl->a + ((i + 0.5) / NT) * axis + cyl->r * n;
                double eps = 0.25 * cyl->r;
                if (m->label(p + eps * n) <= 0 && m->label(p - eps * n) <= 0) continue;
                double sz = m->size(p);
                double h = std::min(sz, std::sqrt(8 * m->params.facet_distance_ratio * cyl->r * sz));
                layer += dA * (1 / (h * h) - 1 / (sz * sz));
            }
    }
    return volume_term + kLayer * 4.5 * layer;
}

} // namespace gssa_mesher_internal
