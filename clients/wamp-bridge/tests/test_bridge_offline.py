"""The bridge's mappings without a router or server: event payloads, errors, hostile XML."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from autobahn.wamp.exception import ApplicationError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import gssa_wamp_bridge as bridge_module  # noqa: E402
from gssa_wamp_bridge import Bridge, Server, check_well_formed, epoch, guid_of  # noqa: E402


class Recorder:
    def __init__(self) -> None:
        self.published: list[tuple[str, tuple[Any, ...]]] = []

    def is_attached(self) -> bool:
        return True

    def publish(self, topic: str, *args: Any) -> None:
        self.published.append((topic, args))


def bridge_with_recorder() -> tuple[Bridge, Recorder]:
    bridge = Bridge(Server("http://127.0.0.1:9", "token"))
    bridge.server_id = "SID"
    recorder = Recorder()
    bridge.session = recorder
    return bridge, recorder


def test_events_get_the_original_topics_and_payloads() -> None:
    bridge, recorder = bridge_with_recorder()
    at = "2026-11-30T15:37:37.170Z"
    bridge.publish({"type": "status", "guid": "G", "percentage": 60, "state": "running",
                    "status": {"id": 5, "code": "IN_PROGRESS", "message": "curve written"}, "timestamp": at})
    bridge.publish({"type": "complete", "guid": "G", "directory": "/d", "status": {"id": 0, "code": "SUCCESS", "message": "OK"},
                    "timestamp": at})
    bridge.publish({"type": "fail", "guid": "G", "directory": "/d", "status": {"id": 4, "code": "E_MODEL", "message": "x"},
                    "timestamp": at})
    bridge.publish({"type": "announce", "guid": "G", "percentage": 0, "directory": "/d",
                    "status": {"id": 5, "code": "IN_PROGRESS", "message": "XML uploaded"}, "timestamp": at})
    bridge.publish({"type": "identify", "server_id": "SID", "hostname": "h", "free_slots": 3, "timestamp": at})
    bridge.publish({"type": "something-new", "guid": "G"})
    t = epoch(at)
    assert t == pytest.approx(1796053057.170)
    assert recorder.published == [
        ("com.gosmartsimulation.status", ("G", [60, {"id": 5, "code": "IN_PROGRESS", "message": "curve written"}], None, t, None)),
        ("com.gosmartsimulation.complete", ("G", {"id": 0, "code": "SUCCESS", "message": "OK"}, "/d", t, None)),
        ("com.gosmartsimulation.fail", ("G", {"id": 4, "code": "E_MODEL", "message": "x"}, "/d", t, None)),
        ("com.gosmartsimulation.announce", ("SID", "G", [0, "XML uploaded"], "/d", t, None)),
        ("com.gosmartsimulation.identify", ("SID", "h", 3)),
    ]


def test_malformed_xml_is_refused_with_its_line() -> None:
    with pytest.raises(ApplicationError) as err:
        check_well_formed("<a>\n<b>\n</a>")
    assert err.value.error == "wamp.error.runtime_error" and err.value.args[0].startswith("line 3:")
    assert err.value.kwargs == {"id": 2, "code": "E_CLIENT", "message": err.value.args[0]}


def test_doctype_and_so_entities_are_refused() -> None:
    lol = "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\">" + "".join(
        f"<!ENTITY {chr(98 + i)} \"{('&' + chr(97 + i) + ';') * 10}\">" for i in range(9)) + "]><r>&j;</r>"
    with pytest.raises(ApplicationError) as err:
        check_well_formed(lol)
    assert err.value.kwargs["code"] == "E_CLIENT" and "line 1: <!DOCTYPE r>" in err.value.args[0]
    with pytest.raises(ApplicationError) as external:
        check_well_formed('<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>')
    assert "line 2: <!DOCTYPE r>" in external.value.args[0]


def test_oversized_definition_names_the_limit() -> None:
    with pytest.raises(ApplicationError) as err:
        check_well_formed("<a>" + " " * bridge_module.MAX_XML_BYTES + "</a>")
    assert "16 MiB" in err.value.args[0]


@pytest.mark.parametrize("value", [None, "", 3, ["G"]])
def test_a_guid_must_be_a_string(value: Any) -> None:
    with pytest.raises(ApplicationError) as err:
        guid_of(value)
    assert err.value.kwargs["code"] == "E_CLIENT"
    assert guid_of("abc-1") == "ABC-1"


def test_unreachable_server_is_e_server_naming_it() -> None:
    import asyncio

    async def call() -> None:
        server = Server("http://127.0.0.1:9", "token", timeout=5)
        try:
            await server.call("GET", "/api/v1/api")
        finally:
            await server.close()
    with pytest.raises(ApplicationError) as err:
        asyncio.run(call())
    assert err.value.kwargs["code"] == "E_SERVER" and "127.0.0.1:9" in err.value.args[0]
