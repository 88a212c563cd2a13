#!/usr/bin/env python3
"""Generate closed, outward-oriented triangulated test surfaces as binary STL.

Used for the repo's examples and tests: an organ-like ellipsoid, a tumour sphere and a vessel
cylinder. Pure Python (no numpy) so it runs on a bare machine.

  make-surfaces.py ellipsoid OUT.stl --centre X Y Z --radii A B C [--segments N]
  make-surfaces.py sphere    OUT.stl --centre X Y Z --radius R   [--segments N]
  make-surfaces.py cylinder  OUT.stl --start X Y Z --end X Y Z --radius R [--segments N]
  make-surfaces.py examples  DIR     (the example set used by examples/)
"""
import argparse
import math
import os
import struct


def normal(a, b, c):
    u = [b[i] - a[i] for i in range(3)]
    v = [c[i] - a[i] for i in range(3)]
    n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]]
    length = math.sqrt(sum(x * x for x in n)) or 1.0
    return [x / length for x in n]


def write_stl(path, triangles):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"gssa generated surface".ljust(80, b" "))
        f.write(struct.pack("<I", len(triangles)))
        for a, b, c in triangles:
            f.write(struct.pack("<3f", *normal(a, b, c)))
            for p in (a, b, c):
                f.write(struct.pack("<3f", *p))
            f.write(b"\0\0")


def ellipsoid(centre, radii, segments=32):
    rings = segments // 2
    verts = [[centre[0], centre[1], centre[2] + radii[2]]]
    for i in range(1, rings):
        theta = math.pi * i / rings
        for j in range(segments):
            phi = 2 * math.pi * j / segments
            verts.append([centre[0] + radii[0] * math.sin(theta) * math.cos(phi),
                          centre[1] + radii[1] * math.sin(theta) * math.sin(phi),
                          centre[2] + radii[2] * math.cos(theta)])
    verts.append([centre[0], centre[1], centre[2] - radii[2]])
    bottom = len(verts) - 1
    ring = lambda i, j: 1 + (i - 1) * segments + (j % segments)
    tris = []
    for j in range(segments):
        tris.append((verts[0], verts[ring(1, j)], verts[ring(1, j + 1)]))
    for i in range(1, rings - 1):
        for j in range(segments):
            a, b = ring(i, j), ring(i, j + 1)
            c, d = ring(i + 1, j), ring(i + 1, j + 1)
            tris.append((verts[a], verts[c], verts[d]))
            tris.append((verts[a], verts[d], verts[b]))
    for j in range(segments):
        tris.append((verts[bottom], verts[ring(rings - 1, j + 1)], verts[ring(rings - 1, j)]))
    return tris


def cylinder(start, end, radius, segments=32):
    axis = [end[i] - start[i] for i in range(3)]
    length = math.sqrt(sum(x * x for x in axis))
    w = [x / length for x in axis]
    helper = [1.0, 0.0, 0.0] if abs(w[0]) < 0.9 else [0.0, 1.0, 0.0]
    u = [w[1] * helper[2] - w[2] * helper[1], w[2] * helper[0] - w[0] * helper[2], w[0] * helper[1] - w[1] * helper[0]]
    ul = math.sqrt(sum(x * x for x in u))
    u = [x / ul for x in u]
    v = [w[1] * u[2] - w[2] * u[1], w[2] * u[0] - w[0] * u[2], w[0] * u[1] - w[1] * u[0]]

    def rim(base, j):
        phi = 2 * math.pi * j / segments
        return [base[i] + radius * (math.cos(phi) * u[i] + math.sin(phi) * v[i]) for i in range(3)]

    tris = []
    for j in range(segments):
        a0, a1 = rim(start, j), rim(start, j + 1)
        b0, b1 = rim(end, j), rim(end, j + 1)
        tris.append((a0, a1, b1))
        tris.append((a0, b1, b0))
        tris.append((list(start), a1, a0))
        tris.append((list(end), b0, b1))
    return tris


def examples(directory):
    # Organ-like ellipsoid around the origin, a tumour near the needle tips, a vessel passing by.
    write_stl(os.path.join(directory, "organ.stl"), ellipsoid([0, 0, 0], [40, 30, 25], 48))
    write_stl(os.path.join(directory, "tumour.stl"), ellipsoid([0, 0, 0], [8, 8, 8], 32))
    write_stl(os.path.join(directory, "vessel.stl"), cylinder([-30, 15, -5], [30, 15, -5], 3, 24))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("shape", choices=["ellipsoid", "sphere", "cylinder", "examples"])
    parser.add_argument("out")
    parser.add_argument("--centre", nargs=3, type=float, default=[0, 0, 0])
    parser.add_argument("--radii", nargs=3, type=float)
    parser.add_argument("--radius", type=float, default=1.0)
    parser.add_argument("--start", nargs=3, type=float)
    parser.add_argument("--end", nargs=3, type=float)
    parser.add_argument("--segments", type=int, default=32)
    args = parser.parse_args()
    if args.shape == "examples":
        examples(args.out)
    elif args.shape == "ellipsoid":
        write_stl(args.out, ellipsoid(args.centre, args.radii, args.segments))
    elif args.shape == "sphere":
        write_stl(args.out, ellipsoid(args.centre, [args.radius] * 3, args.segments))
    else:
        write_stl(args.out, cylinder(args.start, args.end, args.radius, args.segments))


if __name__ == "__main__":
    main()
