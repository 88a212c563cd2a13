#!/usr/bin/env python3
"""Minimum dihedral angle of the tetrahedra of a mesh file (any format meshio reads), computed
here from the node coordinates alone, independently of the mesher that wrote it.
Prints JSON: {"tetrahedra": n, "min_dihedral": deg, "below_10": count}."""
import json
import sys

import meshio
import numpy as np

mesh = meshio.read(sys.argv[1])
tets = np.concatenate([c.data for c in mesh.cells if c.type == "tetra"])
P = mesh.points
worst = np.full(len(tets), 180.0)
for a, b, c, d in [(0, 1, 2, 3), (0, 2, 1, 3), (0, 3, 1, 2), (1, 2, 0, 3), (1, 3, 0, 2), (2, 3, 0, 1)]:
    A, B, C, D = P[tets[:, a]], P[tets[:, b]], P[tets[:, c]], P[tets[:, d]]
    edge = B - A
    n1, n2 = np.cross(edge, C - A), np.cross(edge, D - A)
    cos = np.einsum("ij,ij->i", n1, n2) / (np.linalg.norm(n1, axis=1) * np.linalg.norm(n2, axis=1) + 1e-300)
    worst = np.minimum(worst, np.degrees(np.arccos(np.clip(cos, -1, 1))))
print(json.dumps({"tetrahedra": int(len(tets)), "min_dihedral": float(worst.min()), "below_10": int((worst < 10).sum())}))
