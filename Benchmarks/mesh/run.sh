#!/usr/bin/env bash
# Meshing benchmarks for docs/performance.md ("Meshing"). Every ratio compares runs made in
# this same invocation on this machine. Usage: Benchmarks/mesh/run.sh [SIZE] [RADIUS]
#   SIZE    uniform target size (default 1.2)   RADIUS  organ sphere radius (default 30)
# Needs: swift build (gssa), g++ + libcgal-dev + libtbb-dev, gmsh CLI, /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE=${1:-1.2}
RADIUS=${2:-30}
WORK=${WORK:-$(mktemp -d /tmp/gssa-bench-mesh.XXXX)}
GSSA=${GSSA:-$(swift build --show-bin-path)/gssa}
RAW=$WORK/raw_cgal_mesh3
echo "# work dir $WORK, size $SIZE, radius $RADIUS, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

python3 scripts/mesh-test-surfaces.py sphere "$WORK/organ.stl" --radius "$RADIUS" --level 5
[ -x "$RAW" ] || g++ -std=c++17 -O2 -DNDEBUG -DCGAL_LINKED_WITH_TBB Benchmarks/mesh/raw_cgal_mesh3.cpp -o "$RAW" \
  -ltbb -ltbbmalloc -lgmp -lmpfr

json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
ours() { # threads optimise(0/1) tag
  local out=$WORK/ours-$3
  local opt=(); [ "$2" = 0 ] && opt=(--no-optimise)
  /usr/bin/time -f "%e %M" -o "$out.time" "$GSSA" mesh --organ "$WORK/organ.stl:2" --nearfield "$SIZE" --farfield "$SIZE" \
    --zonefield "$SIZE" --bounding_radius 0 --threads "$1" "${opt[@]}" --max-cells 50000000 --out "$out" --json > "$out.json"
}

# 1. ours vs raw CGAL Mesh_3, same domain and criteria, refinement only, 1 thread. Interleaved
#    and repeated (REPEAT, default 3): the machine is shared, so the median ratio is reported.
RATIOS=()
for r in $(seq "${REPEAT:-3}"); do
  ours 1 0 seq
  /usr/bin/time -f "%e %M" -o "$WORK/raw.time" "$RAW" "$WORK/organ.stl" "$SIZE" 1 > "$WORK/raw.json"
  RATIOS+=("$(python3 -c "import json; o=json.load(open('$WORK/ours-seq/mesh_report.json')); r=json.load(open('$WORK/raw.json')); print([t['seconds'] for t in o['timings'] if t['stage']=='refine'][0] / r['seconds'])")")
done
MEDIAN=$(python3 -c "import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))" "${RATIOS[@]}")
# 2. 2 threads (TBB), refinement only.
ours 2 0 par
/usr/bin/time -f "%e %M" -o "$WORK/raw2.time" "$RAW" "$WORK/organ.stl" "$SIZE" 2 > "$WORK/raw2.json"
# 3. with perturb + exude (default), 2 threads: quality.
ours 2 1 opt

OURS_TETS=$(json "$WORK/ours-seq/mesh_report.json" "d['tetrahedra']")
OURS_REFINE=$(json "$WORK/ours-seq/mesh_report.json" "[t['seconds'] for t in d['timings'] if t['stage']=='refine'][0]")
OURS_WALL=$(cut -d' ' -f1 "$WORK/ours-seq.time"); OURS_MEM=$(cut -d' ' -f2 "$WORK/ours-seq.time")
RAW_TETS=$(json "$WORK/raw.json" "d['tetrahedra']"); RAW_S=$(json "$WORK/raw.json" "d['seconds']")
PAR_REFINE=$(json "$WORK/ours-par/mesh_report.json" "[t['seconds'] for t in d['timings'] if t['stage']=='refine'][0]")
PAR_TETS=$(json "$WORK/ours-par/mesh_report.json" "d['tetrahedra']"); PAR_WALL=$(cut -d' ' -f1 "$WORK/ours-par.time")
RAW2_S=$(json "$WORK/raw2.json" "d['seconds']")
OPT_TETS=$(json "$WORK/ours-opt/mesh_report.json" "d['tetrahedra']"); OPT_WALL=$(cut -d' ' -f1 "$WORK/ours-opt.time")
OPT_MEM=$(cut -d' ' -f2 "$WORK/ours-opt.time")
OPT_Q=$(json "$WORK/ours-opt/mesh_report.json" "'min %.1f°, p1 %.1f°, p5 %.1f°, slivers<10°: %d' % (d['quality']['min_dihedral'], d['quality']['min_dihedral_p1'], d['quality']['min_dihedral_p5'], d['quality']['slivers_below_10deg'])")
NOOPT_Q=$(json "$WORK/ours-seq/mesh_report.json" "'min %.1f°, p1 %.1f°, slivers<10°: %d' % (d['quality']['min_dihedral'], d['quality']['min_dihedral_p1'], d['quality']['slivers_below_10deg'])")

# 4. gmsh -3 on the same closed STL (its triangles kept as the boundary mesh), size tuned so the
#    tetrahedron count matches ours; 1 thread (Delaunay) and HXT with 2 threads.
cat > "$WORK/gmsh.geo" <<GEO
Merge "organ.stl";
Surface Loop(1) = {1};
Volume(1) = {1};
Physical Volume(1) = {1};
GEO
gmsh_run() { # algo threads size
  ( cd "$WORK" && /usr/bin/time -f "%e %M" -o "gmsh-$1-$2.time" gmsh gmsh.geo -3 -algo "$1" -nt "$2" -clmax "$3" -clmin "$3" \
      -format msh22 -o "gmsh-$1-$2.msh" > "gmsh-$1-$2.log" 2>&1 )
  python3 - "$WORK/gmsh-$1-$2.msh" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
i = lines.index("$Elements"); n = int(lines[i + 1])
print(sum(1 for l in lines[i + 2:i + 2 + n] if l.split()[1] == "4"))
PY
}
GSIZE=$(python3 -c "print($SIZE * 0.62)")
for attempt in 1 2 3; do
  G_TETS=$(gmsh_run del3d 1 "$GSIZE")
  GSIZE=$(python3 -c "print($GSIZE * ($G_TETS / $OURS_TETS) ** (1/3))")
  python3 -c "import sys; sys.exit(0 if abs($G_TETS/$OURS_TETS - 1) < 0.1 else 1)" && break
done
G_S=$(python3 -c "print(float(open('$WORK/gmsh-del3d-1.time').read().split()[0]))")
H_TETS=$(gmsh_run hxt 2 "$(python3 -c "print($GSIZE / ($G_TETS / $OURS_TETS) ** (1/3))")")
H_S=$(python3 -c "print(float(open('$WORK/gmsh-hxt-2.time').read().split()[0]))")

python3 - <<PY
ours_t, raw_t = $OURS_REFINE, $RAW_S
print("| measurement | value |")
print("|---|---|")
print(f"| sphere r=$RADIUS, uniform size $SIZE | ours {$OURS_TETS:,} tets, raw CGAL {$RAW_TETS:,} tets |")
print(f"| ours refine / raw CGAL make_mesh_3, 1 thread, median of ${REPEAT:-3} interleaved pairs (ratios ${RATIOS[*]}) | **{$MEDIAN:.2f}x** (last pair {ours_t:.2f} s / {raw_t:.2f} s) |")
print(f"| ours whole run (load, checks, refine, extract, report, MSH write) / raw, 1 thread | {$OURS_WALL:.2f} s / {raw_t:.2f} s = {$OURS_WALL/raw_t:.2f}x |")
print(f"| 2 threads: ours refine / raw CGAL | {$PAR_REFINE:.2f} s / {$RAW2_S:.2f} s = {$PAR_REFINE/$RAW2_S:.2f}x |")
print(f"| parallel speed-up of refinement, 1 -> 2 threads (ours) | {ours_t:.2f} s -> {$PAR_REFINE:.2f} s = **{ours_t/$PAR_REFINE:.2f}x** |")
print(f"| ours tets/s, whole run, 2 threads, no optimisation | {$PAR_TETS/$PAR_WALL:,.0f} |")
print(f"| gmsh -3 (del3d, 1 thread) at matched count ({$G_TETS:,} tets) | {$G_S:.2f} s, {$G_TETS/$G_S:,.0f} tets/s |")
print(f"| gmsh -3 (hxt, -nt 2) | {$H_TETS:,} tets, {$H_S:.2f} s, {$H_TETS/$H_S:,.0f} tets/s |")
print(f"| ours / gmsh del3d tets/s | **{($PAR_TETS/$PAR_WALL)/($G_TETS/$G_S):.2f}x** |")
print(f"| peak RSS, ours, 1 thread no optimisation | {$OURS_MEM/1024:.0f} MiB = {$OURS_MEM/1024/($OURS_TETS/1e6):.0f} MiB per million tets |")
print(f"| peak RSS, ours, 2 threads with perturb+exude | {$OPT_MEM/1024:.0f} MiB = {$OPT_MEM/1024/($OPT_TETS/1e6):.0f} MiB per million tets |")
print(f"| dihedral angles without optimisation | $NOOPT_Q |")
print(f"| dihedral angles with perturb + exude (default), {$OPT_TETS:,} tets, {$OPT_WALL:.1f} s | $OPT_Q |")
PY
