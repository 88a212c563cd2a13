/*
 * gssa_mesher.h — the narrow C boundary between gssa (Swift) and the CGAL Mesh_3 core.
 *
 * No CGAL, Boost or gmsh type crosses this header: everything is plain C so that Swift
 * imports it directly and so that only the .cpp files behind it pay CGAL's compile cost.
 *
 * Lifecycle: gssa_mesher_new → add_* (surfaces, cylinders) → gssa_mesher_prepare →
 * [gssa_mesher_estimate_cells] → gssa_mesher_run → gssa_mesher_write_msh /
 * gssa_mesher_report_json → gssa_mesher_free. Every call that can fail returns a
 * gssa_status; the message is then in gssa_mesher_error().
 */
#ifndef GSSA_MESHER_H
#define GSSA_MESHER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Outcome of a call. Maps onto GSSAError codes on the Swift side. */
typedef enum {
    GSSA_MESH_OK = 0,
    /** Bad input: missing/open/inverted/self-intersecting surface, bad sizes, centre outside organ. */
    GSSA_MESH_BAD_INPUT = 1,
    /** Meshing produced nothing (empty domain). */
    GSSA_MESH_EMPTY = 2,
    /** Internal failure (CGAL exception, I/O error while writing). */
    GSSA_MESH_INTERNAL = 3,
} gssa_status;

/** The role a closed surface (or analytic cylinder) plays in the labelled domain. */
typedef enum {
    /** Domain boundary: outside gets the organ's boundary label. */
    GSSA_ROLE_ORGAN = 0,
    /** Explicit outer extent surface (instead of the bounding sphere). */
    GSSA_ROLE_EXTENT = 1,
    /** Hole; its boundary facets carry its id. */
    GSSA_ROLE_VESSEL = 2,
    /** Hole that also attracts the needle size field. */
    GSSA_ROLE_NEEDLE = 3,
    /** Labelled volume, resolved by priority (lower wins, then lower id). */
    GSSA_ROLE_ZONE = 4,
} gssa_role;

/** What fills the volumes bounded by the labelled surfaces CGAL meshes. */
typedef enum {
    /** CGAL Mesh_3 refines the cells too, then perturb + exude remove slivers. */
    GSSA_VOLUME_CGAL = 0,
    /** CGAL meshes only the labelled surfaces; gmsh's HXT fills and optimises every volume
        (faster, fewer slivers, and the same mesh for the same thread count). */
    GSSA_VOLUME_HXT = 1,
} gssa_volume_mesher;

/** Global settings; fill with gssa_mesh_params_default() first. Lengths are in input units. */
typedef struct {
    double centre[3];
    int has_centre;             /* 0: centre of the organ bounding box */
    double centre_radius;       /* dense ball radius (used when dense_centre) */
    double zone_radius;         /* padding around zones for the zone length scale */
    int tissue_id;              /* label of the default volume (>= 1) */
    int extent_id;              /* boundary label of the outer extent; <= 0: automatic */
    double bounding_radius;     /* radius around the centre; <= 0: no sphere */
    double near_field;
    double far_field;
    double zone_field;          /* default zone length scale */
    double granularity;         /* decay length of the size field, in units of far_field */
    int mark_zone_boundaries;
    int solid_zone;
    int boundary_tree;          /* organ + vessels attract near_field */
    int omit_needle_tree;
    int omit_zone_tree;
    int dense_centre;
    int optimise;               /* perturb + exude; on by default */
    int threads;                /* 1: sequential CGAL; >1: Parallel_tag + TBB */
    double facet_angle;         /* degrees, <= 30 */
    double facet_distance_ratio;/* facet_distance = ratio * local size */
    double cell_radius_edge_ratio; /* > 2 */
    double optimise_time_limit; /* > 0: wall-clock seconds for each of perturb/exude (not reproducible);
                                   0: one thread: none, stop at the 10-degree target or the step bound
                                   (reproducible); several threads: as long as refinement took (>= 1 s) */
    double relative_error_bound;/* surface intersection accuracy, relative to bbox diagonal */
    long long optimise_max_steps; /* perturber vertex moves tried, at most (1 thread); 0 = one per vertex */
    int protect_features;       /* protect the curves where three labels meet and needle rims as 1D
                                   features (off by default: not yet a gain, see docs/performance.md) */
    int optimise_smoother;      /* before perturb: 0 none, 1 ODT, 2 Lloyd (CGAL's global smoothers) */
    int optimise_smoother_iterations; /* iteration bound of the smoother (no time limit: reproducible) */
    int volume_mesher;          /* a gssa_volume_mesher; GSSA_VOLUME_HXT by default */
    int quality_retries;        /* HXT volumes: when the mesh has tetrahedra under 10 degrees, mesh again
                                   with up to this many other surface criteria (a fixed list) and keep
                                   the first mesh that has none, else the best; 0: off; default 4 */
} gssa_mesh_params;

/** Optional activity sphere of a zone, centre given as an offset from the mesh centre. */
typedef struct {
    double offset[3];
    double radius;
    int inactive_id;
} gssa_activity;

typedef struct gssa_mesher gssa_mesher;

void gssa_mesh_params_default(gssa_mesh_params *params);

gssa_mesher *gssa_mesher_new(const gssa_mesh_params *params);
void gssa_mesher_free(gssa_mesher *mesher);

/** Last error message (valid until the next call on this mesher). */
const char *gssa_mesher_error(const gssa_mesher *mesher);

/** Adds a closed STL (ASCII/binary) or OFF surface. `name` is used in messages and reports. */
gssa_status gssa_mesher_add_surface(gssa_mesher *mesher, gssa_role role, const char *path,
                                    const char *name, int id, double characteristic_length,
                                    int priority, const gssa_activity *activity);

/** Adds an analytic capped cylinder from `a` to `b` (library needles). */
gssa_status gssa_mesher_add_cylinder(gssa_mesher *mesher, gssa_role role, const double a[3],
                                     const double b[3], double radius, const char *name, int id,
                                     double characteristic_length, int priority,
                                     const gssa_activity *activity);

/** Builds search trees and runs the input checks (self-intersection, centre inside organ…). */
gssa_status gssa_mesher_prepare(gssa_mesher *mesher);

/** Monte-Carlo estimate of the tetrahedron count for the size field (after prepare). */
double gssa_mesher_estimate_cells(gssa_mesher *mesher, int samples);

/** Meshes (refine, then perturb + exude if enabled) and extracts the labelled arrays. */
gssa_status gssa_mesher_run(gssa_mesher *mesher);

/** Counts of the extracted mesh (after run). */
size_t gssa_mesher_vertex_count(const gssa_mesher *mesher);
size_t gssa_mesher_tetrahedron_count(const gssa_mesher *mesher);
size_t gssa_mesher_triangle_count(const gssa_mesher *mesher);

/**
 * Writes Gmsh MSH through the gmsh API. version: 22 or 41. Writes `path` directly;
 * callers wanting atomicity pass a temporary name and rename.
 */
gssa_status gssa_mesher_write_msh(gssa_mesher *mesher, const char *path, int version, int binary);

/**
 * Writes the quality/label report (after run) as a NUL-terminated JSON object into the caller's
 * `buffer` of `capacity` bytes (truncated if it does not fit) and returns the report's full
 * length without the NUL. Call with a NULL buffer to learn the size, then again.
 */
size_t gssa_mesher_report_json(const gssa_mesher *mesher, char *buffer, size_t capacity);

/**
 * A self-check of the fast point-in-solid test (after prepare): for each of `count` points
 * (`xyz`, x y z each) and each surface region, compares the grid's answer with CGAL's ray test.
 * Adds to `*decided` the questions the grid answered itself and returns how many of those
 * answers differ from CGAL's (0 when correct). Tests call it; meshing never does.
 */
size_t gssa_mesher_check_inside(const gssa_mesher *mesher, const double *xyz, size_t count, size_t *decided);

/**
 * A self-check of the size field's bounded distance query (after prepare): for each of `count`
 * points and each surface region, compares the distance below `limit` with the exact distance.
 * Adds to `*beyond` the questions whose exact distance is at least `limit` and returns how many
 * answers are wrong (0 when correct). Tests call it; meshing never does.
 */
size_t gssa_mesher_check_distance(const gssa_mesher *mesher, const double *xyz, size_t count, double limit,
                                  size_t *beyond);

#ifdef __cplusplus
}
#endif

#endif
