"""gmsh-bioheat: mesh inside the container with gmsh, then solve a steady bioheat problem.

    -k lap(T) + w (T - T_body) = q(x)     in the organ
                          T = T_body      on the organ surface

q is a Gaussian power density centred on each needle's active segment. Writes
output/temperature.xdmf (with each cell's region tag as cell data "region"), output/mesh.msh
(the gmsh mesh, whose physical tags those are), output/summary.json (lesion volume above the
lesion temperature, and the region tags by name) and output/preview.png (a mid-plane slice).
"""
import json
import math
import os
import shutil

import gosmart
gosmart.setup(check_declared=True)
from gosmart.parameters import P, NP, R, update

os.makedirs("output", exist_ok=True)

organs = R.group("organs") or []
if not organs:
    raise SystemExit("gmsh-bioheat needs a region in group 'organs'")
organ = organs[0]

# 1. Mesh the closed organ surface into tetrahedra with gmsh.
import gmsh

update.status("Meshing %s with gmsh" % organ.key, 5)
gmsh.initialize()
gmsh.option.setNumber("General.Terminal", 0)
gmsh.merge(organ.filename)
gmsh.model.mesh.classifySurfaces(math.radians(40), True, True, math.pi)
gmsh.model.mesh.createGeometry()
surfaces = [tag for _, tag in gmsh.model.getEntities(2)]
loop = gmsh.model.geo.addSurfaceLoop(surfaces)
volume = gmsh.model.geo.addVolume([loop])
gmsh.model.geo.synchronize()
ORGAN_TAG, SURFACE_TAG = 1, 2
gmsh.model.addPhysicalGroup(3, [volume], ORGAN_TAG)
gmsh.model.setPhysicalName(3, ORGAN_TAG, organ.key)
gmsh.model.addPhysicalGroup(2, surfaces, SURFACE_TAG)
gmsh.model.setPhysicalName(2, SURFACE_TAG, organ.key + "-surface")
size = P.RESOLUTION_FIELD_FAR if P.get("RESOLUTION_FIELD_FAR") else 5.0
gmsh.option.setNumber("Mesh.MeshSizeMax", size)
gmsh.option.setNumber("Mesh.MeshSizeMin", size / 4.0)
gmsh.model.mesh.generate(3)
os.makedirs("input", exist_ok=True)
gmsh.write("input/input.msh")
shutil.copyfile("input/input.msh", "output/mesh.msh")
tets = sum(len(t) for t in gmsh.model.mesh.getElements(3)[1])
gmsh.finalize()
update.status("Meshed: %d tetrahedra" % tets, 30)

# 2. Solve with dolfin on that mesh.
import dolfin as d
import gosmart.mesh

mesh, subdomains, boundaries = gosmart.mesh.load("input/input.msh")
V = d.FunctionSpace(mesh, "CG", 1)
T_body = P.CONSTANT_BODY_TEMPERATURE
k = P.CONSTANT_TISSUE_CONDUCTIVITY
w = P.CONSTANT_PERFUSION_COEFFICIENT
power = P.CONSTANT_NEEDLE_POWER_DENSITY

terms = []
for index, needle in sorted(NP.items()):
    tip = needle.NEEDLE_TIP_LOCATION
    entry = needle.NEEDLE_ENTRY_LOCATION
    length = needle.get("NEEDLE_ACTIVE_LENGTH") or 10.0
    axis = [e - t for e, t in zip(entry, tip)]
    norm = math.sqrt(sum(a * a for a in axis)) or 1.0
    mid = [t + a / norm * length / 2.0 for t, a in zip(tip, axis)]
    terms.append("exp(-((x[0]-%r)*(x[0]-%r)+(x[1]-%r)*(x[1]-%r)+(x[2]-%r)*(x[2]-%r))/(2*%r*%r))"
                 % (mid[0], mid[0], mid[1], mid[1], mid[2], mid[2], length / 3.0, length / 3.0))
source = d.Expression("%r*(%s)" % (power, " + ".join(terms) or "0"), degree=2)

u, v = d.TrialFunction(V), d.TestFunction(V)
a = k * d.inner(d.grad(u), d.grad(v)) * d.dx + w * u * v * d.dx
L = (w * T_body + source) * v * d.dx
temperature = d.Function(V, name="temperature")
update.status("Solving", 50)
d.solve(a == L, temperature, d.DirichletBC(V, d.Constant(T_body), "on_boundary"),
        solver_parameters={"linear_solver": "cg", "preconditioner": "hypre_amg"})

update.status("Post-processing", 80)
# XDMF (+ HDF5) through meshio, so that it carries each cell's region tag (the physical tag of
# output/mesh.msh): ParaView can threshold by it.
import meshio
import numpy
meshio.write("output/temperature.xdmf", meshio.Mesh(
    mesh.coordinates(), [("tetra", mesh.cells())],
    point_data={"temperature": temperature.compute_vertex_values(mesh)},
    cell_data={"region": [numpy.asarray(subdomains.array(), dtype=numpy.int32)]}))
lesion_at = P.CONSTANT_LESION_TEMPERATURE
DG0 = d.FunctionSpace(mesh, "DG", 0)
cellwise = d.project(temperature, DG0)
above = d.conditional(d.gt(cellwise, lesion_at), 1.0, 0.0)
summary = {
    "tetrahedra": tets,
    "max_temperature": temperature.vector().max(),
    "lesion_temperature": lesion_at,
    "lesion_volume_mm3": d.assemble(above * d.dx(domain=mesh)),
    "organ_volume_mm3": d.assemble(d.Constant(1.0) * d.dx(domain=mesh)),
    "region_tags": {organ.key: ORGAN_TAG},
}
with open("output/summary.json", "w") as f:
    json.dump(summary, f, indent=2)

# 3. A slice preview through the first needle's tip.
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

tip_z = list(NP.values())[0].NEEDLE_TIP_LOCATION[2] if NP else 0.0
coords = mesh.coordinates()
xs = numpy.linspace(coords[:, 0].min(), coords[:, 0].max(), 160)
ys = numpy.linspace(coords[:, 1].min(), coords[:, 1].max(), 120)
tree = mesh.bounding_box_tree()
image = numpy.full((len(ys), len(xs)), numpy.nan)
for j, y in enumerate(ys):
    for i, x in enumerate(xs):
        point = d.Point(x, y, tip_z)
        if tree.compute_first_entity_collision(point) < mesh.num_cells():
            image[j, i] = temperature(point)
plt.figure(figsize=(6, 4.5))
plt.imshow(image, origin="lower", extent=[xs[0], xs[-1], ys[0], ys[-1]], cmap="inferno")
plt.colorbar(label="temperature")
plt.title("z = %.1f" % tip_z)
plt.savefig("output/preview.png", dpi=100, bbox_inches="tight")
update.status("Done: max %.1f" % summary["max_temperature"], 100)
