# %% [markdown]
# # A 6-point sweep of examples/python-demo with gssa_client
#
# Notebook-style (the `# %%` cells open as cells in Jupyter/VS Code); also runs as a script:
#
#     GSSA_SERVER=http://127.0.0.1:8080 GSSA_TOKEN=… python clients/python/examples/sweep_python_demo.py [OUT.png]
#
# One run per cooling rate (client-side `map`), collected as they finish, then the final
# temperature of each plotted against its rate.

# %%
import math
import os
import sys
from concurrent.futures import as_completed
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt

from gssa_client import Client

repo = Path(__file__).resolve().parents[3]
demo = repo / "examples" / "python-demo"
out = Path(sys.argv[1] if len(sys.argv) > 1 else "python-demo-sweep.png")
rates = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]

# %% Submit the six variations and collect them as they complete.
final = {}
with Client(os.environ["GSSA_SERVER"], os.environ["GSSA_TOKEN"]) as client:
    runs = client.map(demo / "definition.xml", {"CONSTANT_COOLING_RATE": rates}, inputs=[demo / "tumour.stl"])
    for run in as_completed(runs, timeout=600):
        rate = run.parameters["CONSTANT_COOLING_RATE"]
        final[rate] = run.result().json("summary.json")["final_temperature"]
        print(f"{run.guid}  rate {rate:.2f}  final temperature {final[rate]:.3f}")

# %% Plot one scalar per run, with the analytic curve for comparison.
fig, ax = plt.subplots(figsize=(6, 4))
xs = sorted(final)
ax.plot(xs, [final[x] for x in xs], "o", label="gssa runs")
fine = [0.01 + i * 0.0005 for i in range(101)]
ax.plot(fine, [37.0 * math.exp(-k * 60) for k in fine], "-", lw=0.8, label="37 exp(-60 k)")
ax.set_xlabel("CONSTANT_COOLING_RATE k (1/s)")
ax.set_ylabel("final temperature after 60 s (°C)")
ax.set_title("python-demo: 6-point sweep")
ax.legend()
fig.tight_layout()
fig.savefig(out, dpi=100)
print(f"plot: {out}")
