"""python-demo: a lumped exponential cooling curve, reported per tumour region.

Shows the container module API: typed parameters (P), needles (NP), regions (R) and progress
(update.status). Writes output/summary.json and output/curve.csv.
"""
import json
import math
import os

import gosmart
gosmart.setup(check_declared=True)
from gosmart.parameters import P, NP, R, update

os.makedirs("output", exist_ok=True)
t0 = P.CONSTANT_INITIAL_TEMPERATURE
k = P.CONSTANT_COOLING_RATE
steps = P.SETTING_DURATION
update.status("cooling from %.1f" % t0, 10)
curve = [t0 * math.exp(-k * t) for t in range(steps + 1)]
with open("output/curve.csv", "w") as f:
    f.write("t,temperature\n")
    for t, value in enumerate(curve):
        f.write("%d,%.6f\n" % (t, value))
update.status("curve written", 60)
summary = {
    "final_temperature": curve[-1],
    "needles": sorted(NP.keys()),
    "tumours": [region.key for region in (R.group("tumours") or [])],
}
with open("output/summary.json", "w") as f:
    json.dump(summary, f, indent=2)
update.status("done", 100)
