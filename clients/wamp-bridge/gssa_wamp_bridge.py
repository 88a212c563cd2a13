"""WAMP bridge: the original Glossia's WAMP API in front of a gssa server.

The original server (reference §1.3) registered ``com.gosmartsimulation.*`` procedures on a
Crossbar router and published its events there. gssa speaks HTTP/JSON and a WebSocket of JSON
events instead (docs/openapi.yaml). This service joins a router realm as a WAMP client
(autobahn), registers the original procedures with the original argument shapes and returns,
relays each call to the HTTP API with one configured token, and republishes the server's events
under the original topics with the original positional payloads. Existing clients (glot, the
web dashboard) keep working unchanged. Differences are listed in docs/wamp.md.

Run: ``GSSA_TOKEN=… python gssa_wamp_bridge.py --router ws://127.0.0.1:8080/ws --realm realm1
--server http://127.0.0.1:8081`` (scripts/wamp-up does this with a Crossbar router).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import xml.parsers.expat
from datetime import datetime
from typing import Any, Callable, Optional
from urllib.parse import quote

import aiohttp
from autobahn.asyncio.component import Component
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import RegisterOptions

log = logging.getLogger("gssa-wamp-bridge")

PREFIX = "com.gosmartsimulation"
#: The URI the original's RPC failures reached callers with (autobahn, ``traceback_app``).
RUNTIME_ERROR = "wamp.error.runtime_error"
#: The original's error codes and ids (``gssa.error.Error``, in order).
CODES = {"SUCCESS": 0, "E_UNKNOWN": 1, "E_CLIENT": 2, "E_SERVER": 3, "E_MODEL": 4, "IN_PROGRESS": 5, "E_CANCELLED": 6}
#: Largest definition accepted, as the server's GSSA-XML limit (16 MiB).
MAX_XML_BYTES = 16 << 20


def error_object(code: str, message: str) -> dict[str, Any]:
    """The original's status/error object ``{id, code, message}`` (``gssa.error.makeError``)."""
    return {"id": CODES.get(code, 1), "code": code if code in CODES else "E_UNKNOWN", "message": message}


def rpc_error(code: str, message: str) -> ApplicationError:
    """An RPC failure as the original's callers saw it: ``wamp.error.runtime_error`` with the message
    as the only positional argument; the GSSA error object rides along as keyword arguments."""
    return ApplicationError(RUNTIME_ERROR, message, **error_object(code, message))


def epoch(timestamp: Optional[str]) -> Optional[float]:
    """ISO-8601 (the server's) to seconds since the epoch (the original's ``time.time()``)."""
    if not timestamp:
        return None
    try:
        return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def check_well_formed(text: str) -> None:
    """The original parsed the definition on upload (lxml) and raised on malformed XML; this does
    the same check with expat, refusing any DOCTYPE as the server does, and names the line."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_XML_BYTES:
        raise rpc_error("E_CLIENT", f"definition is over {MAX_XML_BYTES >> 20} MiB (the server's GSSA-XML limit)")
    parser = xml.parsers.expat.ParserCreate()
    # No DTD fetching and no external entities: the definition is a single document.
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse_doctype(name: str, *_: Any) -> None:
        # As the server: GSSA-XML uses no DTD, so no entity (and no "billion laughs") is ever expanded.
        raise rpc_error("E_CLIENT", f"line {parser.CurrentLineNumber}: <!DOCTYPE {name}>: DOCTYPE declarations "
                                    "are not accepted (GSSA-XML uses no DTD or entities)")
    parser.StartDoctypeDeclHandler = refuse_doctype
    try:
        parser.Parse(text, True)
    except xml.parsers.expat.ExpatError as err:
        raise rpc_error("E_CLIENT", f"line {err.lineno}: malformed GSSA-XML: "
                        f"{xml.parsers.expat.ErrorString(err.code)} (column {err.offset + 1})") from None


class Server:
    """The gssa HTTP API (docs/openapi.yaml), called with the bridge's token."""

    def __init__(self, url: str, token: str, timeout: float = 300.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.session: Optional[aiohttp.ClientSession] = None

    async def open(self) -> None:
        if self.session is None:
            self.session = aiohttp.ClientSession(headers={"Authorization": f"Bearer {self.token}"}, timeout=self.timeout)

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def call(self, method: str, path: str, *, json_body: Any = None, data: Any = None,
                   content_type: Optional[str] = None, params: Optional[dict[str, str]] = None) -> tuple[int, Any]:
        """One request; returns (HTTP status, decoded JSON). A server error body becomes an RPC
        error carrying its code; an unreachable server is E_SERVER naming the URL."""
        await self.open()
        assert self.session is not None
        headers = {"Content-Type": content_type} if content_type else None
        try:
            async with self.session.request(method, self.url + path, json=json_body, data=data, params=params,
                                            headers=headers) as response:
                body = await response.read()
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as err:
            raise rpc_error("E_SERVER", f"the gssa server at {self.url} cannot be reached: {err or type(err).__name__}") from None
        try:
            decoded = json.loads(body) if body else None
        except ValueError:
            decoded = None
        if status >= 400:
            answer: dict[str, Any] = decoded if isinstance(decoded, dict) else {}
            failure = answer.get("error")
            if isinstance(failure, dict) and isinstance(failure.get("message"), str):
                message = failure["message"]
                candidates = answer.get("candidates")
                if isinstance(candidates, list):
                    message += " (candidates: " + ", ".join(map(str, candidates)) + ")"
                raise rpc_error(str(failure.get("code", "E_UNKNOWN")), message)
            raise rpc_error("E_SERVER" if status >= 500 else "E_CLIENT",
                            f"the gssa server answered HTTP {status} to {method} {path}")
        return status, decoded


def guid_of(value: Any) -> str:
    """GUIDs are upper-cased on entry, as the original did; anything else than a string is refused."""
    if not isinstance(value, str) or not value:
        raise rpc_error("E_CLIENT", f"a GUID must be a non-empty string, not {value!r}")
    return value.upper()


def sim(guid: Any, suffix: str = "") -> str:
    return "/api/v1/simulations/" + quote(guid_of(guid), safe="") + suffix


def file_map(files: Any) -> dict[str, str]:
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise rpc_error("E_CLIENT", "files must be a map {local: remote} of strings")
    return files


class Bridge:
    """The registered procedures and the event relay of one bridge process."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.server_id = ""
        self.session: Any = None
        self.events_ws: Optional[aiohttp.ClientWebSocketResponse] = None
        self.ready = asyncio.Event()

    # ---- procedures (reference §1.3, in its order) ----

    async def init(self, guid: Any) -> bool:
        await self.server.call("POST", sim(guid, "/init"))
        return True

    async def update_settings_xml(self, guid: Any, xml: Any) -> bool:
        if not isinstance(xml, str):
            raise rpc_error("E_CLIENT", "the definition must be GSSA-XML text")
        path = sim(guid, "/definition")
        check_well_formed(xml)
        await self.server.call("PUT", path, data=xml.encode("utf-8"), content_type="application/xml")
        return True

    async def update_files(self, guid: Any, files: Any) -> bool:
        await self.server.call("POST", sim(guid, "/files"), json_body={"files": file_map(files)})
        return True

    async def finalize(self, guid: Any, client_directory_prefix: Any = None) -> bool:
        # The original returned False on any failure; the reason is logged here as it was there.
        body = {"directory": client_directory_prefix} if isinstance(client_directory_prefix, str) else {}
        try:
            await self.server.call("POST", sim(guid, "/finalize"), json_body=body)
        except ApplicationError as err:
            log.warning("finalize %s refused: %s", guid, err.kwargs.get("message"))
            return False
        return True

    async def start(self, guid: Any) -> bool:
        await self.server.call("POST", sim(guid, "/start"))
        return True

    async def cancel(self, guid: Any) -> bool:
        await self.server.call("POST", sim(guid, "/cancel"))
        return True

    async def logs(self, guid: Any, only: Any = None) -> dict[str, str]:
        params = {"only": only} if only in ("stdout", "stderr") else None
        _, body = await self.server.call("GET", sim(guid, "/logs"), params=params)
        body = body or {}
        return {"stdout": body.get("stdout") or "", "stderr": body.get("stderr") or ""}

    async def request_files(self, guid: Any, files: Any) -> dict[str, str]:
        _, body = await self.server.call("POST", sim(guid, "/request-files"), json_body={"files": file_map(files)})
        return (body or {}).get("pushed", {})

    async def _push_bundle(self, kind: str, guid: Any, target: Any, gateway: Any) -> dict[str, str]:
        if isinstance(target, str) and target:
            _, body = await self.server.call("POST", sim(guid, "/" + kind), json_body={"target": target})
            return (body or {}).get("pushed", {})
        # No target: the original POSTed the bundle to glot's one-file receiver on the gateway.
        host = gateway if isinstance(gateway, str) and gateway else "127.0.0.1"
        await self.server.open()
        assert self.server.session is not None
        receiver = f"http://{host}:18103/receive"
        archive = "results_archive.tgz" if kind == "results" else "diagnostic_archive.tgz"
        try:
            async with self.server.session.get(self.server.url + sim(guid, "/" + kind)) as response:
                if response.status != 200:
                    raise rpc_error("E_CLIENT" if response.status < 500 else "E_SERVER",
                                    f"no {kind} bundle for {guid_of(guid)} (HTTP {response.status})")
                # Streamed from the server to the receiver: a bundle is never held in memory whole.
                form = aiohttp.FormData()
                form.add_field("file", response.content.iter_chunked(1 << 20), filename=archive,
                               content_type="application/gzip")
                async with aiohttp.ClientSession(timeout=self.server.timeout) as plain:
                    async with plain.post(receiver, data=form) as pushed:
                        if pushed.status != 200:
                            raise rpc_error("E_SERVER", f"{receiver} answered HTTP {pushed.status}")
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as err:
            raise rpc_error("E_SERVER", f"cannot push the {kind} bundle to {receiver}: {err}") from None
        return {archive: receiver}

    async def request_results(self, guid: Any, target: Any = None, gateway: Any = None) -> dict[str, str]:
        return await self._push_bundle("results", guid, target, gateway)

    async def request_diagnostic(self, guid: Any, target: Any = None, gateway: Any = None) -> dict[str, str]:
        return await self._push_bundle("diagnostic", guid, target, gateway)

    async def compare(self, xml1: Any, xml2: Any) -> list[str]:
        if not isinstance(xml1, str) or not isinstance(xml2, str):
            raise rpc_error("E_CLIENT", "compare takes two GSSA-XML texts")
        _, body = await self.server.call("POST", "/api/v1/compare", json_body={"left": xml1, "right": xml2})
        return list((body or {}).get("differences", []))

    async def clean(self, guid: Any) -> bool:
        await self.server.call("DELETE", sim(guid))
        return True

    async def properties(self, guid: Any) -> dict[str, Any]:
        _, body = await self.server.call("GET", sim(guid, "/properties"))
        return dict(body or {})

    async def retrieve_status(self, guid: Any) -> Optional[dict[str, Any]]:
        """The original's shape, or None for a GUID nobody has (as the original's DB lookup)."""
        try:
            _, summary = await self.server.call("GET", sim(guid))
        except ApplicationError as err:
            if err.kwargs.get("code") == "E_CLIENT" and "no simulation matches" in str(err.kwargs.get("message")):
                return None
            raise
        status = summary.get("status") or {}
        exit_status = summary.get("exit_status") or {}
        return {
            "server_id": summary.get("server_id", self.server_id),
            "summary_id": summary.get("guid"),
            "exit_code": exit_status.get("code"),
            "status": [status.get("percentage"), status.get("message"), epoch(status.get("timestamp"))],
            "directory": summary.get("directory"),
        }

    async def search(self, guid_prefix: Any = "", limit: Any = None) -> dict[str, dict[str, Any]]:
        prefix = guid_of(guid_prefix) if guid_prefix else ""
        params = {"prefix": prefix}
        if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0:
            params["limit"] = str(limit)
        _, body = await self.server.call("GET", "/api/v1/simulations", params=params)
        found: dict[str, dict[str, Any]] = {}
        for summary in (body or {}).get("simulations", []):
            status = summary.get("status") or {}
            found[summary["guid"]] = {
                "guid": summary["guid"],
                "directory": summary.get("directory"),
                "finalized": summary.get("finalized", False),
                "exit_status": summary.get("exit_status"),
                "status": {"percentage": status.get("percentage"), "message": status.get("message"),
                           "timestamp": epoch(status.get("timestamp"))},
            }
        return found

    async def api(self) -> str:
        _, body = await self.server.call("GET", "/api/v1/api")
        return str((body or {}).get("version", ""))

    async def tmp_validation(self, guid: Any, directory: Any = None) -> bool:
        raise rpc_error("E_CLIENT", "tmp_validation is deprecated and not provided by gssa")

    PROCEDURES = ("init", "update_settings_xml", "update_files", "finalize", "start", "cancel", "logs",
                  "request_files", "request_results", "request_diagnostic", "compare", "clean", "properties",
                  "retrieve_status", "search", "api", "tmp_validation")

    def wrapped(self, name: str) -> Callable[..., Any]:
        """A procedure whose unexpected failures still reach the caller as the original's error shape
        (and never take the bridge down)."""
        procedure = getattr(self, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return await procedure(*args, **kwargs)
            except ApplicationError:
                raise
            except TypeError as err:
                raise rpc_error("E_CLIENT", f"{name}: {err}") from None
            except Exception as err:  # noqa: BLE001 - reported to the caller, as traceback_app did
                log.exception("%s failed", name)
                raise rpc_error("E_SERVER", f"[{type(err).__name__}] {err}") from None
        return call

    # ---- session ----

    async def joined(self, session: Any) -> None:
        self.session = session
        delay = 0.5
        while True:  # the server may be restarting: keep the router session and wait for it
            try:
                _, version = await self.server.call("GET", "/api/v1/api")
                break
            except ApplicationError as err:
                log.warning("%s; retrying in %.1f s", err.args[0] if err.args else err, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        self.server_id = str((version or {}).get("server_id", ""))
        for name in self.PROCEDURES:
            handler = self.wrapped(name)
            # Specific name first; the generic one goes to the first server on the router only.
            for uri in (f"{PREFIX}.{self.server_id}.{name}", f"{PREFIX}.{name}"):
                try:
                    await session.register(handler, uri, options=RegisterOptions(invoke="single"))
                except ApplicationError as err:
                    log.warning("cannot register %s: %s", uri, err)
        for topic in ("request_announce", "request_identify"):
            for uri in (f"{PREFIX}.{topic}", f"{PREFIX}.{self.server_id}.{topic}"):
                await session.subscribe(self.requested(topic), uri)
        log.info("joined; %d procedures registered for server %s", len(self.PROCEDURES), self.server_id)

    def requested(self, topic: str) -> Callable[..., Any]:
        async def handler(*args: Any, **kwargs: Any) -> None:
            requests = ["announce", "identify"] if topic == "request_announce" else ["identify"]
            ws = self.events_ws
            if ws is None or ws.closed:
                log.warning("%s while the events socket is down", topic)
                return
            for request in requests:
                await ws.send_str(json.dumps({"request": request}))
        return handler

    def publish(self, event: dict[str, Any]) -> None:
        """Republishes one server event under the original topic with the original payload."""
        session = self.session
        if session is None or not session.is_attached():
            return
        kind = event.get("type")
        guid = event.get("guid")
        status = event.get("status") or {}
        at = epoch(event.get("timestamp"))
        if kind == "status":
            payload = [guid, [event.get("percentage"), error_object("IN_PROGRESS", status.get("message", ""))], None, at, None]
        elif kind == "complete":
            payload = [guid, error_object("SUCCESS", status.get("message") or "Success"), event.get("directory"), at, None]
        elif kind == "fail":
            payload = [guid, error_object(status.get("code", "E_UNKNOWN"), status.get("message", "")),
                       event.get("directory"), at, None]
        elif kind == "announce":
            payload = [self.server_id, guid, [event.get("percentage"), status.get("message")], event.get("directory"), at, None]
        elif kind == "identify":
            payload = [event.get("server_id") or self.server_id, event.get("hostname"), event.get("free_slots")]
        else:
            return
        session.publish(f"{PREFIX}.{kind}", *payload)

    async def relay_events(self) -> None:
        """Follows the server's events WebSocket for the life of the bridge, reconnecting with a
        bounded back-off; each event is republished on the router."""
        delay = 0.5
        ws_url = self.server.url.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/api/v1/events"
        while True:
            try:
                await self.server.open()
                assert self.server.session is not None
                async with self.server.session.ws_connect(ws_url, heartbeat=30, max_msg_size=1 << 20) as ws:
                    self.events_ws = ws
                    delay = 0.5
                    self.ready.set()
                    async for message in ws:
                        if message.type != aiohttp.WSMsgType.TEXT:
                            continue
                        try:
                            event = json.loads(message.data)
                        except ValueError:
                            log.warning("ignored a non-JSON event")
                            continue
                        if isinstance(event, dict):
                            self.publish(event)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - the relay outlives a server restart
                log.warning("events socket %s: %s; reconnecting in %.1f s", ws_url, err, delay)
            self.events_ws = None
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="The original Glossia WAMP API in front of a gssa server.")
    parser.add_argument("--router", required=True, help="router WebSocket URL, e.g. ws://127.0.0.1:8080/ws")
    parser.add_argument("--realm", default="realm1")
    parser.add_argument("--server", required=True, help="gssa server URL, e.g. http://127.0.0.1:8081")
    parser.add_argument("--ready-file", help="written once registered and following the server's events")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    token = os.environ.get("GSSA_TOKEN", "")
    if not token:
        print("gssa-wamp-bridge: set GSSA_TOKEN to the gssa user's token (gssa users add/token)", file=sys.stderr)
        return 2

    bridge = Bridge(Server(args.server, token))
    component = Component(transports=[{"url": args.router, "max_retries": -1, "max_retry_delay": 5}], realm=args.realm)

    @component.on_join
    async def on_join(session: Any, details: Any) -> None:
        await bridge.joined(session)
        await bridge.ready.wait()
        if args.ready_file:
            with open(args.ready_file + ".tmp", "w") as f:
                f.write(f"server_id={bridge.server_id}\n")
            os.replace(args.ready_file + ".tmp", args.ready_file)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        relay = asyncio.ensure_future(bridge.relay_events())
        done = asyncio.ensure_future(component.start(loop=loop))
        waiter = asyncio.ensure_future(stop.wait())
        await asyncio.wait([done, waiter], return_when=asyncio.FIRST_COMPLETED)
        relay.cancel()
        waiter.cancel()
        if not done.done():
            stopped = component.stop()
            if asyncio.isfuture(stopped) or asyncio.iscoroutine(stopped):
                try:
                    await asyncio.wait_for(stopped, 5)
                except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - shutting down either way
                    pass
        await bridge.server.close()
        log.info("stopped")

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
