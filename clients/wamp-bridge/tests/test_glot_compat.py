"""The original's client sequence through Crossbar → bridge → gssa server → launch daemon → dockerd.

What glot does (reference §8.7): tar the inputs into the tmp transferrer's directory, then init,
update_settings_xml, update_files, finalize, start; follow status and complete; request_results
into the transferrer's directory; retrieve_status, search by prefix, compare, clean. A failing
model must deliver `fail` with the original's error object, and bad input must come back as the
original's RPC error while the bridge keeps serving.
"""
from __future__ import annotations

import asyncio
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from autobahn.wamp.exception import ApplicationError

from glossia import PREFIX, Events, run_session
from conftest import Stack


def rpc(name: str) -> str:
    return f"{PREFIX}.{name}"


def definition(stack: Stack, archive: str, cooling: str = "0.05") -> str:
    """examples/python-demo, with glot's `<input location>` pointing at its input tarball."""
    text = (stack.repo / "examples/python-demo/definition.xml").read_text()
    text = text.replace('<transferrer class="tmp"/>', f'<transferrer class="tmp"><input location="{archive}"/></transferrer>')
    return text.replace('name="CONSTANT_COOLING_RATE" value="0.05"', f'name="CONSTANT_COOLING_RATE" value="{cooling}"')


FAILING = """<?xml version="1.0"?>
<simulationDefinition>
  <transferrer class="tmp"/>
  <parameters/>
  <numericalModel>
    <needles/>
    <regions/>
    <definition family="python-demo"><![CDATA[
import sys
sys.stderr.write("the model diverged\\n")
sys.exit(4)
]]></definition>
  </numericalModel>
</simulationDefinition>
"""


def is_float(value: Any) -> bool:
    return isinstance(value, float)


def test_glot_sequence_runs_through_crossbar(stack: Stack, tmp_path: Path) -> None:
    guid = str(uuid.uuid1())           # glot's GUIDs: lower-case uuid1; the server upper-cases them
    GUID = guid.upper()
    subdir = "glot-" + guid[:8]
    area = stack.transfer / subdir
    area.mkdir(parents=True)
    archive = area / "input.tar.gz"
    (tmp_path / "notes.txt").write_text("extra input from update_files\n")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(stack.repo / "examples/python-demo/tumour.stl", arcname="tumour.stl")
        tar.add(tmp_path / "notes.txt", arcname="notes.txt")
    xml = definition(stack, str(archive))

    async def body(session: Any, events: Events) -> None:
        assert str(await session.call(rpc("api"))).startswith("A")
        assert await session.call(rpc("init"), guid) is True
        assert await session.call(rpc("update_settings_xml"), guid, xml) is True
        announce = await events.wait_for("announce", lambda a: a[1] == GUID)
        assert announce[2] == [0, "XML uploaded"] and isinstance(announce[3], str) and is_float(announce[4])
        assert await session.call(rpc("update_files"), guid, {"input/notes.txt": "notes.txt"}) is True
        assert await session.call(rpc("finalize"), guid, subdir) is True
        assert await session.call(rpc("start"), guid) is True

        complete = await events.wait_for("complete", lambda a: a[0] == GUID)
        assert complete[1] == {"id": 0, "code": "SUCCESS", "message": complete[1]["message"]}
        assert isinstance(complete[2], str) and is_float(complete[3]) and complete[4] is None
        statuses = [a for a in events.received["status"] if a[0] == GUID]
        assert statuses, "no status event before complete"
        for status in statuses:
            percentage, message = status[1]
            assert percentage is None or isinstance(percentage, (int, float))
            assert message["id"] == 5 and message["code"] == "IN_PROGRESS" and isinstance(message["message"], str)
            assert status[2] is None and is_float(status[3]) and status[4] is None
        assert any(s[1][1]["message"] == "curve written" for s in statuses)

        pushed = await session.call(rpc("request_results"), guid, "results/run.tgz")
        assert list(pushed.values()) == [str(area / "results/run.tgz")]
        with tarfile.open(area / "results/run.tgz") as tar:
            tar.extractall(tmp_path / "results", filter="data")
        assert (tmp_path / "results" / GUID / "original.xml").is_file()
        assert list((tmp_path / "results" / GUID).rglob("summary.json"))

        # No target: the bundle goes to glot's one-file receiver (port 18103, field `file`) on the gateway.
        received: dict[str, bytes] = {}

        async def receive(request: web.Request) -> web.Response:
            form = await request.post()
            upload = form["file"]
            assert isinstance(upload, web.FileField)
            received[upload.filename] = upload.file.read()
            return web.Response(text="OK")
        app = web.Application()
        app.router.add_post("/receive", receive)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 18103).start()
        try:
            pushed = await session.call(rpc("request_diagnostic"), guid, None, "127.0.0.1")
        finally:
            await runner.cleanup()
        assert pushed == {"diagnostic_archive.tgz": "http://127.0.0.1:18103/receive"}
        (tmp_path / "diagnostic.tgz").write_bytes(received["diagnostic_archive.tgz"])
        with tarfile.open(tmp_path / "diagnostic.tgz") as tar:
            assert any(name.endswith("original.xml") for name in tar.getnames())

        status = await session.call(rpc("retrieve_status"), guid)
        assert status["exit_code"] == "SUCCESS" and status["directory"] == complete[2]
        assert len(status["status"]) == 3 and is_float(status["status"][2])
        found = await session.call(rpc("search"), guid[:8])
        assert GUID in found
        assert set(found[GUID]) == {"guid", "directory", "finalized", "exit_status", "status"}
        assert found[GUID]["finalized"] is True and found[GUID]["exit_status"]["code"] == "SUCCESS"

        other = definition(stack, str(archive), cooling="0.07")
        differences = await session.call(rpc("compare"), xml, other)
        assert any("CONSTANT_COOLING_RATE" in line and "0.05 // 0.07" in line for line in differences), differences
        assert await session.call(rpc("compare"), xml, xml) == []

        session.publish(rpc("request_identify"))
        identify = await events.wait_for("identify", lambda a: True)
        assert isinstance(identify[0], str) and isinstance(identify[1], str)

        assert await session.call(rpc("clean"), guid) is True
        assert not Path(complete[2]).exists()

    run_session(stack.router, stack.realm, body)


def test_failing_model_delivers_fail_with_error_code(stack: Stack) -> None:
    guid = str(uuid.uuid4()).upper()

    async def body(session: Any, events: Events) -> None:
        assert await session.call(rpc("init"), guid) is True
        assert await session.call(rpc("update_settings_xml"), guid, FAILING) is True
        assert await session.call(rpc("finalize"), guid, ".") is True
        assert await session.call(rpc("start"), guid) is True
        fail = await events.wait_for("fail", lambda a: a[0] == guid)
        assert fail[1]["id"] == 4 and fail[1]["code"] == "E_MODEL" and isinstance(fail[1]["message"], str)
        assert set(fail[1]) == {"id", "code", "message"}
        assert isinstance(fail[2], str) and is_float(fail[3]) and fail[4] is None
        assert not [a for a in events.received["complete"] if a[0] == guid]
        status = await session.call(rpc("retrieve_status"), guid)
        assert status["exit_code"] == "E_MODEL"
        logs = await session.call(rpc("logs"), guid)
        assert set(logs) == {"stdout", "stderr"} and "the model diverged" in logs["stderr"]
        assert await session.call(rpc("clean"), guid) is True

    run_session(stack.router, stack.realm, body)


def test_bad_input_returns_the_original_error_and_the_bridge_keeps_serving(stack: Stack) -> None:
    guid = str(uuid.uuid4()).upper()

    async def body(session: Any, events: Events) -> None:
        with pytest.raises(ApplicationError) as malformed:
            await session.call(rpc("update_settings_xml"), guid, "<simulationDefinition>\n  <parameters>\n</simulationDefinition>")
        assert malformed.value.error == "wamp.error.runtime_error"
        assert "line 3" in malformed.value.args[0]
        assert malformed.value.kwargs["code"] == "E_CLIENT" and malformed.value.kwargs["id"] == 2

        with pytest.raises(ApplicationError) as unknown:
            await session.call(rpc("properties"), "F" * 32)
        assert unknown.value.error == "wamp.error.runtime_error"
        assert unknown.value.kwargs["code"] == "E_CLIENT" and "FFFF" in unknown.value.args[0]
        assert await session.call(rpc("retrieve_status"), "F" * 32) is None   # the original's "not found"

        with pytest.raises(ApplicationError) as wrong_type:
            await session.call(rpc("update_files"), guid, ["not", "a", "map"])
        assert wrong_type.value.kwargs["code"] == "E_CLIENT"
        with pytest.raises(ApplicationError) as wrong_count:
            await session.call(rpc("compare"), "<a/>")
        assert wrong_count.value.kwargs["code"] == "E_CLIENT"

        # A definition the server cannot run: finalize answers False, as the original did.
        assert await session.call(rpc("update_settings_xml"), guid,
                                  "<simulationDefinition><numericalModel><definition family='no-such-family'/>"
                                  "</numericalModel></simulationDefinition>") is True
        assert await session.call(rpc("finalize"), guid, ".") is False
        await session.call(rpc("clean"), guid)

        # Still registered and relaying.
        assert str(await session.call(rpc("api"))).startswith("A")
        session.publish(rpc("request_announce"))
        identify = await events.wait_for("identify", lambda a: True)
        # glot --server SID and the dashboard address one server by its id.
        assert await session.call(f"{PREFIX}.{identify[0]}.api") == await session.call(rpc("api"))
        assert await session.call(f"{PREFIX}.{identify[0]}.retrieve_status", "F" * 32) is None

    run_session(stack.router, stack.realm, body)
