"""Client-side parts without a server: sweeps, parameter overrides, errors, futures."""
from __future__ import annotations

from concurrent.futures import CancelledError, as_completed, wait
from typing import Any

import pytest

from gssa_client import Client, GSSAError, Run, override_parameters, variations

DEFINITION = """<simulationDefinition>
  <parameters>
    <parameter name="RATE" value="0.05" type="float"/>
    <parameter name="ON" value="false" type="boolean"/>
  </parameters>
  <numericalModel><definition family="python-demo"/></numericalModel>
</simulationDefinition>"""


def test_variations_are_the_cartesian_product_in_order() -> None:
    assert variations({"A": [1, 2], "B": ["x", "y"]}) == [
        {"A": 1, "B": "x"}, {"A": 1, "B": "y"}, {"A": 2, "B": "x"}, {"A": 2, "B": "y"}]
    assert len(variations({"RATE": [0.01 * i for i in range(6)]})) == 6


@pytest.mark.parametrize("sweep", [{}, {"A": []}, {"A": "abc"}, {"A": 3}])
def test_a_bad_sweep_is_refused(sweep: Any) -> None:
    with pytest.raises(GSSAError) as err:
        variations(sweep)
    assert err.value.code == "E_CLIENT"


def test_override_sets_values_in_the_definition() -> None:
    text = override_parameters(DEFINITION, {"RATE": 0.07, "ON": True})
    assert 'name="RATE" value="0.07"' in text and 'name="ON" value="true"' in text
    assert 'family="python-demo"' in text


def test_override_of_an_undeclared_parameter_names_it() -> None:
    with pytest.raises(GSSAError) as err:
        override_parameters(DEFINITION, {"MISSING": 1})
    assert err.value.code == "E_CLIENT" and "MISSING" in err.value.message


def test_override_of_malformed_xml_names_the_line() -> None:
    with pytest.raises(GSSAError) as err:
        override_parameters("<a>\n<b>\n</a>", {"X": 1})
    assert err.value.code == "E_CLIENT" and "line 3" in err.value.message


def test_error_from_status_keeps_code_and_message() -> None:
    err = GSSAError.from_status({"id": 4, "code": "E_MODEL", "message": "diverged"}, http_status=None)
    assert (err.code, err.id, err.message, str(err)) == ("E_MODEL", 4, "diverged", "E_MODEL: diverged")
    assert GSSAError.from_status({"id": 6, "message": "stop"}).code == "E_CANCELLED"


def test_bad_url_or_token_is_a_client_error() -> None:
    with pytest.raises(GSSAError) as err:
        Client("ftp://example", "t")
    assert err.value.code == "E_CLIENT"
    with pytest.raises(GSSAError) as err:
        Client("http://127.0.0.1:9", "")
    assert err.value.code == "E_CLIENT"


def test_unreachable_server_is_a_server_error() -> None:
    with Client("http://127.0.0.1:9", "token", timeout=5) as client:
        with pytest.raises(GSSAError) as err:
            client.status("ABC")
    assert err.value.code == "E_SERVER" and "127.0.0.1:9" in err.value.message


def test_run_futures_end_from_events_and_wake_waiters() -> None:
    client = Client("http://127.0.0.1:9", "token")
    try:
        ok, failed, cancelled = Run(client, "A"), Run(client, "B"), Run(client, "C")
        ok._apply({"type": "status", "guid": "A", "state": "running", "percentage": 50,
                   "status": {"id": 5, "code": "IN_PROGRESS", "message": "half"}})
        assert ok.running() and ok.progress is not None and ok.progress.percentage == 50.0
        ok._apply({"type": "complete", "guid": "A", "state": "succeeded", "status": {"id": 0, "code": "SUCCESS", "message": "OK"}})
        failed._apply({"type": "fail", "guid": "B", "state": "failed", "status": {"id": 4, "code": "E_MODEL", "message": "boom"}})
        cancelled._apply({"type": "fail", "guid": "C", "state": "cancelled",
                          "status": {"id": 6, "code": "E_CANCELLED", "message": "Cancelled"}})
        assert set(as_completed([ok, failed, cancelled], timeout=5)) == {ok, failed, cancelled}
        done, not_done = wait([ok, failed, cancelled], timeout=5)
        assert len(done) == 3 and not not_done
        assert isinstance(failed.exception(), GSSAError) and failed.exception().code == "E_MODEL"  # type: ignore[union-attr]
        with pytest.raises(CancelledError):
            cancelled.result()
        # An end event after the future ended changes nothing.
        failed._apply({"type": "complete", "guid": "B", "state": "succeeded", "status": {"code": "SUCCESS"}})
        assert failed.exception() is not None
    finally:
        client.close()


def test_a_sweep_is_sent_as_text_values_in_the_mapping_order() -> None:
    from gssa_client.client import server_sweep
    sweep = server_sweep({"B": [0.5, 1], "A": [True, False], "C": ["x"]})
    assert sweep == {"B": ["0.5", "1"], "A": ["true", "false"], "C": ["x"]}
    assert list(sweep) == ["B", "A", "C"]    # becomes sweep_order: the last varies fastest


@pytest.mark.parametrize("sweep", [{}, {"A": []}, {"A": "abc"}, {"A": 3}, {"": [1]}])
def test_a_malformed_server_sweep_is_refused_before_upload(sweep: Any) -> None:
    with Client("http://127.0.0.1:9", "token", timeout=5) as client:
        with pytest.raises(GSSAError) as err:
            client.submit(DEFINITION, sweep=sweep)    # nothing reaches the (unreachable) server
    assert err.value.code == "E_CLIENT" and "sweep" in err.value.message


def test_a_run_whose_dependency_failed_raises_e_cancelled_naming_it() -> None:
    client = Client("http://127.0.0.1:9", "token")
    try:
        waiting, cancelled = Run(client, "W"), Run(client, "C")
        waiting._apply_summary({"guid": "W", "state": "waiting", "after": ["DEP-1"]})
        assert not waiting.done() and waiting.after == ["DEP-1"]
        waiting._apply({"type": "fail", "guid": "W", "state": "cancelled",
                        "status": {"id": 6, "code": "E_CANCELLED", "message": "dependency DEP-1 failed"}})
        with pytest.raises(GSSAError) as err:
            waiting.result(timeout=5)
        assert err.value.code == "E_CANCELLED" and "DEP-1" in err.value.message and not waiting.cancelled()
        # Cancelled by someone: the future is cancelled, as before.
        cancelled._apply({"type": "fail", "guid": "C", "state": "cancelled",
                          "status": {"id": 6, "code": "E_CANCELLED", "message": "Cancelled"}})
        assert cancelled.cancelled()
    finally:
        client.close()
