#!/usr/bin/env python3
"""Generate closed, outward-oriented test surfaces (STL binary/ASCII or OFF) for MesherCGAL.

  mesh-test-surfaces.py sphere   OUT.stl --radius R [--centre X Y Z] [--level N] [--ascii]
  mesh-test-surfaces.py ellipsoid OUT.stl --axes A B C [--centre X Y Z] [--level N]
  mesh-test-surfaces.py cylinder OUT.stl --radius R --from X Y Z --to X Y Z [--segments N]

Spheres and ellipsoids are subdivided icosahedra (level 4 = 5120 triangles)."""
import argparse, math, struct, sys


def icosphere(level):
    t = (1 + 5 ** 0.5) / 2
    v = [(-1, t, 0), (1, t, 0), (-1, -t, 0), (1, -t, 0), (0, -1, t), (0, 1, t), (0, -1, -t), (0, 1, -t),
         (t, 0, -1), (t, 0, 1), (-t, 0, -1), (-t, 0, 1)]
    v = [tuple(c / math.sqrt(sum(x * x for x in p)) for c in p) for p in v]
    f = [(0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9), (5, 11, 4), (11, 10, 2), (10, 7, 6),
         (7, 1, 8), (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8), (3, 8, 9), (4, 9, 5), (2, 4, 11), (6, 2, 10),
         (8, 6, 7), (9, 8, 1)]
    for _ in range(level):
        cache = {}

        def mid(a, b):
            key = (min(a, b), max(a, b))
            if key not in cache:
                p = [(v[a][i] + v[b][i]) / 2 for i in range(3)]
                n = math.sqrt(sum(x * x for x in p))
                v.append(tuple(x / n for x in p))
                cache[key] = len(v) - 1
            return cache[key]

        nf = []
        for a, b, c in f:
            ab, bc, ca = mid(a, b), mid(b, c), mid(c, a)
            nf += [(a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca)]
        f = nf
    return v, f


def cylinder(r, a, b, n):
    axis = [b[i] - a[i] for i in range(3)]
    L = math.sqrt(sum(x * x for x in axis))
    u = [x / L for x in axis]
    helper = (1, 0, 0) if abs(u[0]) < 0.9 else (0, 1, 0)
    e1 = [u[1] * helper[2] - u[2] * helper[1], u[2] * helper[0] - u[0] * helper[2], u[0] * helper[1] - u[1] * helper[0]]
    m = math.sqrt(sum(x * x for x in e1)); e1 = [x / m for x in e1]
    e2 = [u[1] * e1[2] - u[2] * e1[1], u[2] * e1[0] - u[0] * e1[2], u[0] * e1[1] - u[1] * e1[0]]
    v = []
    for end in (a, b):
        for k in range(n):
            th = 2 * math.pi * k / n
            v.append(tuple(end[i] + r * (math.cos(th) * e1[i] + math.sin(th) * e2[i]) for i in range(3)))
    v.append(tuple(a)); v.append(tuple(b))
    ca, cb = 2 * n, 2 * n + 1
    f = []
    for k in range(n):
        k1 = (k + 1) % n
        f += [(k, k1, n + k1), (k, n + k1, n + k), (ca, k1, k), (cb, n + k, n + k1)]
    return v, f


def write(path, v, f, ascii_stl):
    if path.endswith('.off'):
        with open(path, 'w') as out:
            out.write('OFF\n%d %d 0\n' % (len(v), len(f)))
            for p in v: out.write('%.17g %.17g %.17g\n' % p)
            for t in f: out.write('3 %d %d %d\n' % t)
        return
    if ascii_stl:
        with open(path, 'w') as out:
            out.write('solid gssa\n')
            for t in f:
                out.write(' facet normal 0 0 0\n  outer loop\n')
                for i in t: out.write('   vertex %.9g %.9g %.9g\n' % v[i])
                out.write('  endloop\n endfacet\n')
            out.write('endsolid gssa\n')
        return
    with open(path, 'wb') as out:
        out.write(b'gssa make-surfaces'.ljust(80, b' '))
        out.write(struct.pack('<I', len(f)))
        for t in f:
            out.write(struct.pack('<3f', 0, 0, 0))
            for i in t: out.write(struct.pack('<3f', *v[i]))
            out.write(b'\0\0')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('shape', choices=['sphere', 'ellipsoid', 'cylinder'])
    ap.add_argument('out')
    ap.add_argument('--radius', type=float, default=1.0)
    ap.add_argument('--axes', type=float, nargs=3)
    ap.add_argument('--centre', type=float, nargs=3, default=[0, 0, 0])
    ap.add_argument('--level', type=int, default=4)
    ap.add_argument('--from', dest='a', type=float, nargs=3)
    ap.add_argument('--to', dest='b', type=float, nargs=3)
    ap.add_argument('--segments', type=int, default=48)
    ap.add_argument('--ascii', action='store_true')
    a = ap.parse_args()
    if a.shape == 'cylinder':
        v, f = cylinder(a.radius, a.a, a.b, a.segments)
    else:
        v, f = icosphere(a.level)
        ax = a.axes if a.shape == 'ellipsoid' else [a.radius] * 3
        v = [tuple(a.centre[i] + ax[i] * p[i] for i in range(3)) for p in v]
    write(a.out, v, f, a.ascii)


if __name__ == '__main__':
    main()
