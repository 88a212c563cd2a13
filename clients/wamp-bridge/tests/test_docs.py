"""The copy-paste example of docs/wamp.md, run as written against the real router and bridge."""
from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import Stack


def test_wamp_doc_example_runs(stack: Stack) -> None:
    text = (stack.repo / "docs/wamp.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 1
    env = {**os.environ, "WAMP_ROUTER": stack.router, "WAMP_REALM": stack.realm, "GSSA_TRANSFER": str(stack.transfer)}
    done = subprocess.run([sys.executable, "-c", blocks[0]], cwd=stack.repo, env=env, capture_output=True, text=True,
                          timeout=400)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "complete {'id': 0, 'code': 'SUCCESS'" in done.stdout
    assert "files in the results bundle" in done.stdout
