"""The notebook-style example and the copy-paste examples of docs/python-client.md, run as written."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def test_sweep_example_plots_six_points(server: tuple[str, str], tmp_path: Path) -> None:
    url, token = server
    png = tmp_path / "sweep.png"
    done = subprocess.run([sys.executable, str(REPO / "clients/python/examples/sweep_python_demo.py"), str(png)],
                          env={**os.environ, "GSSA_SERVER": url, "GSSA_TOKEN": token, "MPLBACKEND": "Agg"},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert len(re.findall(r"final temperature", done.stdout)) == 6
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_docs_examples_run(server: tuple[str, str], tmp_path: Path) -> None:
    """Every ```python block of docs/python-client.md, in order, in one namespace."""
    url, token = server
    text = (REPO / "docs/python-client.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 3
    env = {**os.environ, "GSSA_SERVER": url, "GSSA_TOKEN": token}
    script = "\n".join(blocks)
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
