#!/usr/bin/env bash
# Meshing benchmark for docs/performance.md ("Meshing"). Every ratio compares runs made in this
# same invocation on this machine. Usage: Benchmarks/mesh/run.sh [SIZE] [RADIUS] [THREADS]
#   SIZE 1.2, RADIUS 30 (a closed STL sphere of 20,480 triangles), THREADS 2 by default.
# Four whole processes, each timed by /usr/bin/time -v (wall clock and peak RSS):
#   ours  `gssa mesh` with its defaults (CGAL surfaces, HXT volumes, report, MSH write)
#   cgal  `gssa mesh --volume-mesher cgal` (CGAL refines the cells too, perturb + exude)
#   raw   raw_cgal_mesh3.cpp (compiled here at -O2): plain CGAL Mesh_3, same criteria, same
#         perturb + exude budget, no labels, no seeding, no report, no file written
#   hxt   `gmsh -3 -algo hxt -nt THREADS` on the same STL, its size tuned (up to 4 runs) until the
#         tetrahedron count is within 10 % of ours; the last run counts
# The minimum dihedral angle of our MSH and of gmsh's is computed by dihedral.py (meshio),
# independently of either mesher; raw CGAL reports its own.
# Then every example in examples/mesh and the main example, meshed both ways (EXAMPLES=0 skips),
# and the main example against raw_cgal_domain.cpp: plain CGAL Mesh_3 (make_mesh_3, perturb,
# exude; the same budget as raw above) on our labelled domain and size field, read from
# `gssa mesh --plan` and built through MesherCGAL's C API (linked from the build's objects).
# Needs: swift build (gssa), g++ + libcgal-dev + libtbb-dev, gmsh, python3 with meshio + numpy.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE=${1:-1.2}
RADIUS=${2:-30}
THREADS=${3:-2}
WORK=${WORK:-$(mktemp -d /tmp/gssa-bench-mesh.XXXX)}
GSSA=${GSSA:-$(swift build --show-bin-path)/gssa}
RAW=$WORK/raw_cgal_mesh3
RAW_DOMAIN=$WORK/raw_cgal_domain
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "# work dir $WORK, size $SIZE, radius $RADIUS, $THREADS threads, $(nproc) cores, load average $LOAD_BEFORE" >&2

python3 scripts/mesh-test-surfaces.py sphere "$WORK/organ.stl" --radius "$RADIUS" --level 5
[ -x "$RAW" ] || g++ -std=c++17 -O2 -DNDEBUG -DCGAL_LINKED_WITH_TBB Benchmarks/mesh/raw_cgal_mesh3.cpp -o "$RAW" \
  -ltbb -ltbbmalloc -lgmp -lmpfr

timed() { # name command... -> $WORK/name.time (GNU time -v)
  local name=$1; shift
  /usr/bin/time -v -o "$WORK/$name.time" "$@"
}
wall() { python3 -c "
import sys
for l in open(sys.argv[1]):
    if 'Elapsed (wall clock)' in l:
        parts = l.split(': ', 1)[1].strip().split(':'); s = 0
        for p in parts: s = s * 60 + float(p)
        print(s)" "$WORK/$1.time"; }
rss_kib() { awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/$1.time"; }

timed ours "$GSSA" mesh --organ "$WORK/organ.stl:2" --nearfield "$SIZE" --farfield "$SIZE" --zonefield "$SIZE" \
  --bounding_radius 0 --threads "$THREADS" --max-cells 50000000 --out "$WORK/ours" --json > "$WORK/ours.json"
timed cgal "$GSSA" mesh --organ "$WORK/organ.stl:2" --nearfield "$SIZE" --farfield "$SIZE" --zonefield "$SIZE" \
  --bounding_radius 0 --threads "$THREADS" --max-cells 50000000 --volume-mesher cgal --out "$WORK/cgal" --json > "$WORK/cgal.json"
timed raw "$RAW" "$WORK/organ.stl" "$SIZE" "$THREADS" 1 > "$WORK/raw.json"
OURS_TETS=$(python3 -c "import json; print(json.load(open('$WORK/ours/mesh_report.json'))['tetrahedra'])")

cat > "$WORK/gmsh.geo" <<GEO
Merge "organ.stl";
Surface Loop(1) = {1};
Volume(1) = {1};
Physical Volume(1) = {1};
GEO
GSIZE=$(python3 -c "print($SIZE * 0.8)")
for attempt in 1 2 3 4; do
  ( cd "$WORK" && timed hxt gmsh gmsh.geo -3 -algo hxt -nt "$THREADS" -clmax "$GSIZE" -clmin "$GSIZE" \
      -format msh22 -o hxt.msh > hxt.log 2>&1 )
  python3 Benchmarks/mesh/dihedral.py "$WORK/hxt.msh" > "$WORK/hxt-quality.json"
  H_TETS=$(python3 -c "import json; print(json.load(open('$WORK/hxt-quality.json'))['tetrahedra'])")
  python3 -c "import sys; sys.exit(0 if abs($H_TETS/$OURS_TETS - 1) < 0.1 else 1)" && break
  GSIZE=$(python3 -c "print($GSIZE * ($H_TETS / $OURS_TETS) ** (1/3))")
done
python3 Benchmarks/mesh/dihedral.py "$WORK/ours/mesh.msh" > "$WORK/ours-quality.json" 2>/dev/null \
  || python3 Benchmarks/mesh/dihedral.py "$(ls "$WORK"/ours/*.msh | head -1)" > "$WORK/ours-quality.json"

python3 - "$WORK" "$(wall ours)" "$(wall raw)" "$(wall hxt)" "$(rss_kib ours)" "$(rss_kib raw)" "$(rss_kib hxt)" \
  "$LOAD_BEFORE" "$(cut -d' ' -f1-3 /proc/loadavg)" "$SIZE" "$RADIUS" "$THREADS" "$(wall cgal)" "$(rss_kib cgal)" <<'PY'
import json, sys
work, w_ours, w_raw, w_hxt, m_ours, m_raw, m_hxt = sys.argv[1], *map(float, sys.argv[2:8])
load0, load1, size, radius, threads = sys.argv[8:13]
w_cgal, m_cgal = map(float, sys.argv[13:15])
rep = json.load(open(f"{work}/ours/mesh_report.json"))
crep = json.load(open(f"{work}/cgal/mesh_report.json"))
oq = json.load(open(f"{work}/ours-quality.json"))
raw = json.load(open(f"{work}/raw.json"))
hq = json.load(open(f"{work}/hxt-quality.json"))
n_o, n_r, n_h = rep["tetrahedra"], raw["tetrahedra"], hq["tetrahedra"]
stages = ", ".join(f"{t['stage']} {t['seconds']:.1f} s" for t in rep["timings"] if t["seconds"] >= 0.05)
tpt = lambda w, n: w / n * 1e6  # microseconds per tetrahedron
print(f"Sphere r={radius}, 20,480 STL triangles, size {size}, {threads} threads; load average {load0} before, {load1} after.")
print()
print("| process | tetrahedra | wall | µs per tet | min dihedral (tets < 10°) | peak RSS | RSS per million tets |")
print("|---|---|---|---|---|---|---|")
print(f"| `gssa mesh` (default: CGAL surfaces, HXT volumes, report, MSH) | {n_o:,} | {w_ours:.2f} s | {tpt(w_ours, n_o):.1f} | {oq['min_dihedral']:.1f}° ({oq['below_10']}) | {m_ours/1024:.0f} MiB | {m_ours/1024**2/(n_o/1e6):.2f} GiB |")
n_c = crep["tetrahedra"]
cq = crep["quality"]
print(f"| `gssa mesh --volume-mesher cgal` (refine + perturb + exude, report, MSH) | {n_c:,} | {w_cgal:.2f} s | {tpt(w_cgal, n_c):.1f} | {cq['min_dihedral']:.1f}° ({cq['slivers_below_10deg']}) | {m_cgal/1024:.0f} MiB | {m_cgal/1024**2/(n_c/1e6):.2f} GiB |")
print(f"| raw CGAL Mesh_3, same criteria + perturb/exude budget | {n_r:,} | {w_raw:.2f} s | {tpt(w_raw, n_r):.1f} | {raw['min_dihedral']:.1f}° (own figure) | {m_raw/1024:.0f} MiB | {m_raw/1024**2/(n_r/1e6):.2f} GiB |")
print(f"| `gmsh -3 -algo hxt -nt {threads}` | {n_h:,} | {w_hxt:.2f} s | {tpt(w_hxt, n_h):.1f} | {hq['min_dihedral']:.1f}° ({hq['below_10']}) | {m_hxt/1024:.0f} MiB | {m_hxt/1024**2/(n_h/1e6):.2f} GiB |")
print()
print(f"- ours / HXT, time per tetrahedron: **{tpt(w_ours, n_o)/tpt(w_hxt, n_h):.2f}×** (target ≤ 2×)")
print(f"- ours / raw CGAL, time per tetrahedron: **{tpt(w_ours, n_o)/tpt(w_raw, n_r):.2f}×** (target ≤ 1.2×); "
      f"with `--volume-mesher cgal` (the same work as raw CGAL): {tpt(w_cgal, n_c)/tpt(w_raw, n_r):.2f}×")
print(f"- ours, peak RSS per million tetrahedra: {m_ours/1024**2/(n_o/1e6):.2f} GiB (target ≤ 0.8)")
print(f"- our stages: {stages}")
PY

[ "${EXAMPLES:-1}" = 1 ] || exit 0
echo
echo "| example | volumes | tetrahedra | wall | min dihedral | tets < 10° |"
echo "|---|---|---|---|---|---|"
for example in examples/mesh/organ-only.xml examples/mesh/tumour-zone.xml examples/mesh/vessel-hole.xml \
               examples/mesh/needles.xml examples/fenics-ire/definition.xml; do
  for mesher in hxt cgal; do
    name=$(basename "$(dirname "$example")")-$(basename "$example" .xml)-$mesher
    extra=()
    [[ $example == *fenics-ire* ]] && extra=(--inputs examples/fenics-ire/inputs)
    timed "$name" "$GSSA" mesh "$example" "${extra[@]}" --threads "$THREADS" --volume-mesher "$mesher" \
      --out "$WORK/$name" > /dev/null 2>&1
    python3 - "$WORK/$name/mesh_report.json" "$(wall "$name")" "$example" "$mesher" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); q = r["quality"]
print(f"| `{sys.argv[3]}` | {sys.argv[4]} | {r['tetrahedra']:,} | {float(sys.argv[2]):.2f} s | {q['min_dihedral']:.1f}° | {q['slivers_below_10deg']} |")
PY
  done
done

# The main example: ours (its default run above) against plain CGAL Mesh_3 on the same domain.
OBJECTS=$(dirname "$GSSA")/CGALMesherCore.build
[ -x "$RAW_DOMAIN" ] || g++ -std=c++17 -O2 -DNDEBUG -DCGAL_LINKED_WITH_TBB -I Sources/MesherCGAL/CGALCore \
  -I Sources/MesherCGAL/CGALCore/include Benchmarks/mesh/raw_cgal_domain.cpp \
  $(for f in Sources/MesherCGAL/CGALCore/*.cpp; do echo "$OBJECTS/$(basename "$f").o"; done) \
  -o "$RAW_DOMAIN" -lgmsh -ltbb -ltbbmalloc -lgmp -lmpfr
"$GSSA" mesh examples/fenics-ire/definition.xml --inputs examples/fenics-ire/inputs --plan --out "$WORK/main-plan" > /dev/null
python3 Benchmarks/mesh/plan_lines.py "$WORK/main-plan/mesh_plan.json" > "$WORK/main-plan.txt"
timed main-raw "$RAW_DOMAIN" "$THREADS" < "$WORK/main-plan.txt" > "$WORK/main-raw.json"
python3 - "$WORK" "$(wall fenics-ire-definition-hxt)" "$(wall fenics-ire-definition-cgal)" "$(wall main-raw)" <<'PY'
import json, sys
work, w_ours, w_cgal, w_raw = sys.argv[1], *map(float, sys.argv[2:5])
ours = json.load(open(f"{work}/fenics-ire-definition-hxt/mesh_report.json"))
cgal = json.load(open(f"{work}/fenics-ire-definition-cgal/mesh_report.json"))
raw = json.load(open(f"{work}/main-raw.json"))
tpt = lambda w, n: w / n * 1e6
n_o, n_c, n_r = ours["tetrahedra"], cgal["tetrahedra"], raw["tetrahedra"]
print()
print("| main example, whole process | tetrahedra | wall | µs per tet | min dihedral |")
print("|---|---|---|---|---|")
print(f"| `gssa mesh` (default) | {n_o:,} | {w_ours:.2f} s | {tpt(w_ours, n_o):.1f} | {ours['quality']['min_dihedral']:.1f}° |")
print(f"| `gssa mesh --volume-mesher cgal` | {n_c:,} | {w_cgal:.2f} s | {tpt(w_cgal, n_c):.1f} | {cgal['quality']['min_dihedral']:.1f}° |")
print(f"| raw CGAL Mesh_3 on the same domain (refine {raw['refine_seconds']:.2f} s, {raw['refined_tetrahedra']:,} tets before optimising) | {n_r:,} | {w_raw:.2f} s | {tpt(w_raw, n_r):.1f} | {raw['min_dihedral']:.1f}° (own figure) |")
print()
print(f"- ours / raw CGAL, time per tetrahedron: **{tpt(w_ours, n_o)/tpt(w_raw, n_r):.2f}×** (target ≤ 1.2×); wall {w_ours/w_raw:.2f}×; "
      f"with `--volume-mesher cgal`: {tpt(w_cgal, n_c)/tpt(w_raw, n_r):.2f}× per tetrahedron")
PY
