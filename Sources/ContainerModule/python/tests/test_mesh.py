"""gosmart.mesh.load(): Gmsh -> dolfin mesh with subdomain and boundary markers.

Needs dolfin, so it runs in the FEniCS image (which sets GSSA_REQUIRE_DOLFIN=1: there a missing
dolfin is a failure, never a skip).
"""

import os

import pytest

try:
    import dolfin  # noqa: F401
    import meshio  # noqa: F401
    HAVE_DOLFIN = True
except ImportError:
    HAVE_DOLFIN = False

if not HAVE_DOLFIN:
    if os.environ.get("GSSA_REQUIRE_DOLFIN") == "1" or os.environ.get("CI") == "true" and os.environ.get("GSSA_IMAGE") == "fenics":
        raise ImportError("dolfin/meshio are required here (GSSA_REQUIRE_DOLFIN=1)")
    pytestmark = pytest.mark.skip(reason="dolfin not installed (runs in gssa/fenics)")

# Two tetrahedra sharing the face 2-3-4: tet A (physical 1), tet B (physical 2); the outer
# faces of A are tagged 11, those of B 12 (Gmsh ASCII 2.2: elm-type 4 = tet, 2 = triangle).
MSH = """$MeshFormat
2.2 0 8
$EndMeshFormat
$Nodes
5
1 0 0 0
2 1 0 0
3 0 1 0
4 0 0 1
5 1 1 1
$EndNodes
$Elements
8
1 2 2 11 11 1 2 3
2 2 2 11 11 1 2 4
3 2 2 11 11 1 3 4
4 2 2 12 12 2 3 5
5 2 2 12 12 2 4 5
6 2 2 12 12 3 4 5
7 4 2 1 1 1 2 3 4
8 4 2 2 2 2 3 4 5
$EndElements
"""


def test_load_returns_mesh_subdomains_and_boundaries(gosmart, rundir):
    (rundir / "input" / "input.msh").write_text(MSH)
    import gosmart.mesh
    bundle = gosmart.mesh.load()
    mesh, subdomains, boundaries = bundle
    assert mesh.num_cells() == 2 and mesh.num_vertices() == 5
    assert bundle.mesh is mesh
    assert sorted(subdomains.array().tolist()) == [1, 2]
    values = boundaries.array().tolist()
    assert sorted(v for v in values if v) == [11, 11, 11, 12, 12, 12]
    assert values.count(0) == 1  # the shared inner face is untagged
    # Subdomain markers feed a measure, as a FEniCS model would use them.
    dx = dolfin.Measure("dx", domain=mesh, subdomain_data=subdomains)
    assert abs(dolfin.assemble(dolfin.Constant(1.0) * dx(1)) - 1.0 / 6.0) < 1e-12


def test_uploaded_mesh_is_used_when_there_is_no_mesher_output(gosmart, rundir):
    (rundir / "input" / "mesh-0.msh").write_text(MSH)
    import gosmart.mesh
    mesh, subdomains, _ = gosmart.mesh.load()
    assert mesh.num_cells() == 2 and sorted(subdomains.array().tolist()) == [1, 2]


def test_missing_mesh_is_a_clear_error(gosmart, rundir):
    import gosmart.mesh
    with pytest.raises(IOError) as info:
        gosmart.mesh.load()
    assert "input.msh" in str(info.value)
