"""Server-side sweeps and dependencies through gssa_client, against a real gssa server, launch
daemon and dockerd (examples/python-demo)."""
from __future__ import annotations

import math
import uuid
from datetime import datetime
from concurrent.futures import as_completed

import pytest

from gssa_client import Client, GSSAError

from conftest import DEMO
from test_server import inline

RATES = [0.01, 0.02, 0.04]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_sweep_is_one_run_whose_result_and_children_reflect_every_combination(client: Client) -> None:
    parent = client.submit(DEMO / "definition.xml", inputs=[DEMO / "tumour.stl"],
                           sweep={"CONSTANT_COOLING_RATE": RATES, "SETTING_VERBOSE": [False]})
    assert parent.sweep is not None and parent.sweep["size"] == 3
    assert parent.sweep["parameters"] == ["CONSTANT_COOLING_RATE", "SETTING_VERBOSE"]
    children = parent.children()
    assert len(children) == 3 and all(child.guid.startswith(parent.guid + "-") for child in children)
    assert [child.parameters for child in children] == [
        {"CONSTANT_COOLING_RATE": str(rate), "SETTING_VERBOSE": "false"} for rate in RATES]
    # The parent ends after its children: all of them are done once it is.
    results = parent.result(timeout=300)
    assert parent.state == "succeeded"
    assert set(as_completed(children, timeout=60)) == set(children)
    for child, rate in zip(children, RATES):
        final = child.result(timeout=0).json("summary.json")["final_temperature"]
        assert final == pytest.approx(37.0 * math.exp(-rate * 60), rel=1e-5)
    # The parent's bundle: one row per child in sweep.csv, with the summary's scalars.
    rows = results.table()
    assert [row["guid"] for row in rows] == [child.guid for child in children]
    assert [row["state"] for row in rows] == ["succeeded"] * 3
    assert [float(row["final_temperature"]) for row in rows] == pytest.approx(
        [37.0 * math.exp(-rate * 60) for rate in RATES], rel=1e-5)
    status = parent.status()
    assert status["sweep"]["counts"] == {"succeeded": 3} and parent.sweep == status["sweep"]


def test_a_sweep_of_an_unknown_parameter_names_it_and_the_run_is_cleaned(client: Client) -> None:
    with pytest.raises(GSSAError) as err:
        client.submit(DEMO / "definition.xml", inputs=[DEMO / "tumour.stl"], sweep={"NO_SUCH": [1, 2]}, guid="BAD-SWEEP-1")
    assert err.value.code == "E_CLIENT" and "NO_SUCH" in err.value.message
    # Refused at start, after its upload: the client cleans it (cancelled, directory gone).
    left = client.status("BAD-SWEEP-1")
    assert left["state"] == "cancelled" and left.get("cleaned") is True and "sweep" not in left, left
    assert client.children("BAD-SWEEP-1") == []


def test_after_waits_for_its_dependency(client: Client) -> None:
    # The dependency is finalized but not started: the dependent run must wait.
    first = "AFTER-DEP-" + uuid.uuid4().hex.upper()
    client.http.json("PUT", client.http.simulation(first, "/definition"),
                     raw=inline("print('first')").encode(), content_type="application/xml")
    client.http.json("POST", client.http.simulation(first, "/finalize"), {})
    second = client.submit(inline("print('second')"), after=[first])
    assert second.state == "waiting" and second.after == [first]
    assert not second.done()
    client.http.json("POST", client.http.simulation(first, "/start"))
    second.result(timeout=180)
    before, after = client.status(first), second.status()
    assert before["state"] == "succeeded" and after["state"] == "succeeded"
    assert when(after["started"]) >= when(before["finished"])


def test_a_failed_dependency_raises_e_cancelled_naming_it(client: Client) -> None:
    failing = client.submit(inline("import sys\nsys.exit(4)"))
    dependent = client.submit(inline("print('never')"), after=[failing])
    with pytest.raises(GSSAError) as err:
        dependent.result(timeout=180)
    assert err.value.code == "E_CANCELLED" and failing.guid in err.value.message, err.value.message
    assert dependent.state == "cancelled" and dependent.status().get("started") is None
    with pytest.raises(GSSAError) as model:
        failing.result(timeout=0)
    assert model.value.code == "E_MODEL"
