"""Loading the simulation mesh for FEniCS (legacy dolfin) models.

``gosmart.mesh.load()`` reads ``input/input.msh`` (Gmsh, as written by the mesher) and returns
the dolfin mesh with its subdomain markers (cell function, from the physical tags of the
volume cells) and boundary markers (facet function, from the physical tags of the surface
cells; 0 where untagged). The conversion goes Gmsh -> meshio -> XDMF -> dolfin, in a
temporary directory.
"""

import collections
import os
import shutil
import tempfile

import gosmart

__all__ = ["load", "MeshBundle"]

#: What load() returns; it also unpacks as ``mesh, subdomains, boundaries = load()``.
MeshBundle = collections.namedtuple("MeshBundle", ["mesh", "subdomains", "boundaries"])

_CELL_KINDS = (("tetra", "triangle", 3), ("triangle", "line", 2))


def _physical_tags(mesh, kind):
    tags = []
    found = False
    for block, data in zip(mesh.cells, mesh.cell_data.get("gmsh:physical", [None] * len(mesh.cells))):
        if block.type == kind:
            found = True
            if data is None:
                tags.extend([0] * len(block.data))
            else:
                tags.extend(int(v) for v in data)
    return tags if found else None


def _blocks(mesh, kind):
    import numpy
    parts = [block.data for block in mesh.cells if block.type == kind]
    return numpy.concatenate(parts) if parts else None


def load(path=None, workdir=None):
    """Return ``MeshBundle(mesh, subdomains, boundaries)`` for ``path``.

    The default is ``<prefix>/input.msh`` (``prefix`` from ``gosmart.setup``, default ``input``),
    or ``<prefix>/mesh-0.msh`` when only an uploaded mesh is present.
    """
    import meshio
    import numpy
    import dolfin

    if path is None:
        # input.msh from the mesher; else an uploaded mesh-0.msh (original bug 20: the uploaded
        # mesh was honoured only server-side).
        candidates = [os.path.join(gosmart._prefix, name) for name in ("input.msh", "mesh-0.msh")]
        path = next((c for c in candidates if os.path.isfile(c)), candidates[0])
    if not os.path.isfile(path):
        raise IOError("Mesh file %s does not exist" % path)

    source = meshio.read(path)
    for cell_kind, facet_kind, dim in _CELL_KINDS:
        cells = _blocks(source, cell_kind)
        if cells is not None:
            break
    else:
        raise ValueError("%s holds neither tetrahedra nor triangles" % path)

    points = source.points[:, :dim] if dim == 2 else source.points
    cell_tags = _physical_tags(source, cell_kind) or [0] * len(cells)
    facets = _blocks(source, facet_kind)
    facet_tags = _physical_tags(source, facet_kind) if facets is not None else None

    scratch = tempfile.mkdtemp(prefix="gosmart-mesh-", dir=workdir)
    try:
        mesh_file = os.path.join(scratch, "mesh.xdmf")
        meshio.write(mesh_file, meshio.Mesh(
            points=points, cells=[(cell_kind, cells)],
            cell_data={"subdomains": [numpy.asarray(cell_tags, dtype=numpy.int32)]}))
        mesh = dolfin.Mesh()
        with dolfin.XDMFFile(mesh_file) as xdmf:
            xdmf.read(mesh)
            cell_values = dolfin.MeshValueCollection("size_t", mesh, dim)
            xdmf.read(cell_values, "subdomains")
        subdomains = dolfin.cpp.mesh.MeshFunctionSizet(mesh, cell_values)

        boundary_values = dolfin.MeshValueCollection("size_t", mesh, dim - 1)
        if facets is not None and len(facets):
            facet_file = os.path.join(scratch, "facets.xdmf")
            meshio.write(facet_file, meshio.Mesh(
                points=points, cells=[(facet_kind, facets)],
                cell_data={"boundaries": [numpy.asarray(facet_tags or [0] * len(facets), dtype=numpy.int32)]}))
            with dolfin.XDMFFile(facet_file) as xdmf:
                xdmf.read(boundary_values, "boundaries")
        boundaries = dolfin.cpp.mesh.MeshFunctionSizet(mesh, boundary_values)
        # Facets not listed in the file get 0, as in the original's converted meshes.
        values = numpy.array(boundaries.array(), copy=True)
        values[values > numpy.iinfo(numpy.int32).max] = 0
        boundaries.set_values(values)
        return MeshBundle(mesh, subdomains, boundaries)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
