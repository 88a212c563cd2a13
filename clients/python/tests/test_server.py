"""gssa_client against a real gssa server, launch daemon and dockerd (examples/python-demo)."""
from __future__ import annotations

import math
import threading
import time
from concurrent.futures import CancelledError, as_completed, wait
from pathlib import Path

import pytest

from gssa_client import Client, GSSAError, Progress, Run

from conftest import DEMO

RATES = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]


def inline(script: str) -> str:
    return f"""<?xml version="1.0"?>
<simulationDefinition>
  <transferrer class="tmp"/>
  <parameters/>
  <numericalModel>
    <needles/>
    <regions/>
    <definition family="python-demo"><![CDATA[
{script}
]]></definition>
  </numericalModel>
</simulationDefinition>
"""


def test_six_runs_of_a_map_complete_with_progress_and_results(client: Client) -> None:
    runs = client.map(DEMO / "definition.xml", {"CONSTANT_COOLING_RATE": RATES}, inputs=[DEMO / "tumour.stl"])
    assert len(runs) == 6 and all(isinstance(run, Run) for run in runs)
    assert [run.parameters["CONSTANT_COOLING_RATE"] for run in runs] == RATES
    completed = list(as_completed(runs, timeout=300))
    assert set(completed) == set(runs) and len(completed) == 6
    for run in runs:
        summary = run.result(timeout=0).json("summary.json")
        rate = run.parameters["CONSTANT_COOLING_RATE"]
        assert summary["final_temperature"] == pytest.approx(37.0 * math.exp(-rate * 60), rel=1e-5)
        # Progress came from the event WebSocket: the model's own status lines.
        assert "curve written" in [progress.message for progress in run.history]
    first = runs[0]
    assert first.state == "succeeded" and first.status()["state"] == "succeeded"
    assert set(first.logs()) == {"stdout", "stderr"}
    diagnostic = first.diagnostic()
    assert (diagnostic / "original.xml").is_file()
    assert 'value="0.01"' in (diagnostic / "original.xml").read_text()
    done, not_done = wait(runs, timeout=1)
    assert len(done) == 6 and not not_done


def test_cancel_a_running_run(client: Client) -> None:
    running = threading.Event()
    run = client.submit(inline("import time\nfrom gosmart.parameters import update\n"
                               "update.status('sleeping', 5)\ntime.sleep(300)"))

    def on_progress(r: Run, progress: Progress) -> None:
        if progress.state == "running":
            running.set()
    run.add_progress_callback(on_progress)
    if run.running():
        running.set()
    assert running.wait(120), f"the run never reported running (state {run.state})"
    assert run.cancel() is True
    assert run.cancelled() and run.done()
    assert list(as_completed([run], timeout=5)) == [run]
    with pytest.raises(CancelledError):
        run.result()
    deadline = time.monotonic() + 60
    while client.status(run.guid)["state"] != "cancelled":
        assert time.monotonic() < deadline, "the server never reported the run cancelled"
        time.sleep(0.2)
    assert run.cancel() is True    # cancelling again changes nothing


def test_a_failing_model_raises_its_code(client: Client) -> None:
    run = client.submit(inline("import sys\nsys.stderr.write('diverged at step 3\\n')\nsys.exit(4)"))
    with pytest.raises(GSSAError) as err:
        run.result(timeout=120)
    assert err.value.code == "E_MODEL" and err.value.id == 4
    assert "diverged at step 3" in run.logs()["stderr"]


def test_a_bad_definition_raises_e_client_with_the_line_and_leaves_no_run(client: Client) -> None:
    bad = "<?xml version=\"1.0\"?>\n<simulationDefinition>\n  <parameters>\n</simulationDefinition>\n"
    with pytest.raises(GSSAError) as err:
        client.submit(bad, guid="BAD-DEFINITION-1")
    assert err.value.code == "E_CLIENT" and "line" in err.value.message, err.value.message
    with pytest.raises(GSSAError) as gone:
        client.status("BAD-DEFINITION-1")
    assert gone.value.code == "E_CLIENT" and gone.value.http_status == 404


def test_unknown_guid_raises_with_code_and_message(client: Client) -> None:
    with pytest.raises(GSSAError) as err:
        client.logs("NO-SUCH-RUN-ANYWHERE")
    assert err.value.code == "E_CLIENT" and "NO-SUCH-RUN-ANYWHERE" in err.value.message
