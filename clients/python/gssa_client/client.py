"""`Client`: submit runs to a gssa server and follow them as futures."""
from __future__ import annotations

import os
import tarfile
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from .definition import Definition, iter_input_files, override_parameters, read_definition, variations
from .errors import GSSAError
from .events import EventStream
from .http import HTTP
from .run import ENDED, Run

PathLike = Union[str, "os.PathLike[str]"]


def server_sweep(sweep: Mapping[str, Sequence[Any]]) -> Dict[str, List[str]]:
    """`sweep` as the server's ``start`` takes it: ``{NAME: ["v1", …]}`` with each value as its
    text in the definition (``true``/``false`` for booleans). A mapping that is empty, has a
    non-list or empty list of values, is refused with ``E_CLIENT`` naming the parameter."""
    if not isinstance(sweep, Mapping) or not sweep:
        raise GSSAError("E_CLIENT", "sweep: give at least one {NAME: [values]}")
    result: Dict[str, List[str]] = {}
    for name, values in sweep.items():
        if not isinstance(name, str) or not name:
            raise GSSAError("E_CLIENT", f"sweep: {name!r} is not a parameter name")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise GSSAError("E_CLIENT", f"sweep.{name}: give a non-empty list of values, not {values!r}")
        result[name] = [("true" if value else "false") if isinstance(value, bool) else str(value) for value in values]
    return result


class Client:
    """A connection to one gssa server as one user.

    ``Client(url, token)``: `url` is the server (``http://HOST:PORT``), `token` the user's token
    (``gssa users add NAME``). Results are unpacked under `results_dir` (default: a temporary
    directory kept until `close`). Use it as a context manager, or call `close`.

    The event WebSocket opens with the first `submit`; every run's progress and end arrive over
    it, so waiting on many runs costs no polling.
    """

    def __init__(self, url: str, token: str, *, results_dir: Optional[PathLike] = None, timeout: float = 60.0,
                 max_bundle_bytes: int = 4 << 30) -> None:
        self.http = HTTP(url, token, timeout)
        self.url = self.http.url
        self.timeout = timeout
        self.max_bundle_bytes = max_bundle_bytes
        self._scratch: Optional[tempfile.TemporaryDirectory[str]] = None
        if results_dir is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="gssa-results-")
            results_dir = self._scratch.name
        self.results_dir = Path(results_dir)
        self._runs: Dict[str, Run] = {}
        self._lock = threading.Lock()
        self._events = EventStream(self.url, token, self._dispatch, self._resync)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def close(self) -> None:
        """Closes the event WebSocket and removes the default results directory."""
        self._events.stop()
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    # ---- submitting ----

    def submit(self, definition: Definition, inputs: Optional[Sequence[PathLike]] = None,
               sweep: Optional[Mapping[str, Sequence[Any]]] = None, after: Optional[Sequence[Union[str, Run]]] = None,
               *, guid: Optional[str] = None, project: Optional[str] = None, priority: Optional[int] = None,
               parameters: Optional[Mapping[str, Any]] = None) -> Run:
        """Uploads a definition (a GSSA-XML path or text) and its input files, finalizes and starts it.

        - `inputs`: files (by base name) and directories (their files by relative path), tarred and
          uploaded for the ``tmp`` transferrer, as ``gssa launch -i`` does;
        - `parameters`: values to override in the definition's ``<parameters>`` before upload;
        - `sweep` ``{NAME: [values]}``: a server-side sweep. The returned `Run` is the sweep's
          parent: it ends when every child has ended (succeeded only if all did), its `result()`
          is the parent's bundle (each child's output and ``sweep.csv``, see `Results.table`),
          and `Run.children()` gives one `Run` per combination, in order (the last name of the
          mapping varies fastest);
        - `after`: runs or GUIDs that must succeed first (the run is ``waiting`` until then; if
          one fails or is cancelled, `result()` raises `GSSAError` ``E_CANCELLED`` naming it);
        - `project`, `priority`: sent in the ``start`` body as they are (today's server ignores them);
        - `guid`: the run's GUID (default: a new UUID).

        A definition the server refuses raises `GSSAError` (``E_CLIENT``, naming the line) and
        leaves no run behind. Returns the `Run` future.
        """
        text = read_definition(definition)
        if parameters:
            text = override_parameters(text, parameters)
        if sweep is not None:
            server_sweep(sweep)    # a malformed sweep is refused before anything is uploaded
        guid = guid or str(uuid.uuid4()).upper()
        self._events.start(self.timeout)
        run = Run(self, guid, dict(parameters or {}))
        with self._lock:
            self._runs[guid] = run
        created = False
        try:
            if inputs:
                self._upload_inputs(guid, inputs)
                created = True
            self.http.json("PUT", self.http.simulation(guid, "/definition"), raw=text.encode("utf-8"),
                           content_type="application/xml")
            created = True
            self.http.json("POST", self.http.simulation(guid, "/finalize"), {})
            options: Dict[str, Any] = {}
            if sweep is not None:
                options["sweep"] = server_sweep(sweep)
                # The server numbers the children by this order (the last name varies fastest),
                # as `variations` and `map` do: the mapping's own order.
                options["sweep_order"] = list(options["sweep"])
            if after:
                options["after"] = [item.guid if isinstance(item, Run) else str(item) for item in after]
            if project is not None:
                options["project"] = project
            if priority is not None:
                options["priority"] = priority
            summary = self.http.json("POST", self.http.simulation(guid, "/start"), options if options else None)
        except BaseException:
            with self._lock:
                self._runs.pop(guid, None)
            if created:
                try:
                    self.clean(guid)    # a refused run is not left behind (as `gssa launch` does)
                except GSSAError:
                    pass
            raise
        run._apply_summary(summary)
        return run

    def map(self, definition: Definition, sweep: Mapping[str, Sequence[Any]],
            inputs: Optional[Sequence[PathLike]] = None, **options: Any) -> List[Run]:
        """One run per variation of `sweep` (every combination of the values, in order), each with
        its parameters overridden in the definition; returns the futures in variation order
        (``run.parameters`` says which is which)."""
        text = read_definition(definition)
        return [self.submit(text, inputs=inputs, parameters=values, **options) for values in variations(sweep)]

    def _upload_inputs(self, guid: str, inputs: Sequence[PathLike]) -> None:
        with tempfile.TemporaryFile() as archive:
            with tarfile.open(fileobj=archive, mode="w:gz") as tar:
                for path, name in iter_input_files(inputs):
                    tar.add(path, arcname=name, recursive=False)
            size = archive.tell()
            archive.seek(0)
            self.http.json("PUT", self.http.simulation(guid, "/archive"), raw=archive,
                           content_type="application/gzip", length=size)

    # ---- one run ----

    def status(self, guid: str) -> Dict[str, Any]:
        """The run's summary: ``state``, ``status`` {percentage, message, timestamp}, ``exit_status``…"""
        return self.http.json("GET", self.http.simulation(guid))

    def logs(self, guid: str, only: Optional[str] = None) -> Dict[str, str]:
        """The container's output, ``{"stdout": …, "stderr": …}`` (`only`: ``stdout`` or ``stderr``)."""
        body = self.http.json("GET", self.http.simulation(guid, "/logs"), query={"only": only} if only else None)
        return {key: str(value) for key, value in body.items() if isinstance(value, str)}

    def cancel(self, guid: str) -> Dict[str, Any]:
        """Cancels the run at any stage; returns its summary."""
        return self.http.json("POST", self.http.simulation(guid, "/cancel"))

    def clean(self, guid: str) -> Dict[str, Any]:
        """Removes the run's directory and container on the server (the record stays)."""
        return self.http.json("DELETE", self.http.simulation(guid))

    def search(self, prefix: str = "", **filters: Union[str, int]) -> List[Dict[str, Any]]:
        """Runs by GUID prefix; `filters` are the server's (``state``, ``family``, ``since``, ``limit``, ``owner``)."""
        query = {"prefix": prefix, **{key: str(value) for key, value in filters.items()}}
        found = self.http.json("GET", "/api/v1/simulations", query=query).get("simulations", [])
        return [item for item in found if isinstance(item, dict)]

    def children(self, guid: str) -> List[Run]:
        """The children of the sweep `guid`, in their order, as `Run` futures (each with
        `parameters` = its swept values, followed over the event WebSocket like any run)."""
        self._events.start(self.timeout)
        runs: List[Run] = []
        for summary in self._children(guid):
            values = summary.get("sweep_values")
            with self._lock:
                run = self._runs.get(summary["guid"])
                if run is None:
                    run = Run(self, summary["guid"], dict(values) if isinstance(values, dict) else {})
                    self._runs[run.guid] = run
            runs.append(run)
        # A child that ended between the listing and its registration sent its end to nobody:
        # a second listing, after every child is registered, closes that window.
        by_guid = {run.guid: run for run in runs}
        for summary in self._children(guid) if runs else []:
            if summary["guid"] in by_guid:
                by_guid[summary["guid"]]._apply_summary(summary)
        with self._lock:
            for run in runs:
                if run.done():
                    self._runs.pop(run.guid, None)
        return runs

    def _children(self, guid: str) -> List[Dict[str, Any]]:
        found = self.http.json("GET", "/api/v1/simulations", query={"parent": guid}).get("simulations", [])
        return [item for item in found if isinstance(item, dict) and isinstance(item.get("guid"), str)]

    def results(self, guid: str, to: Optional[PathLike] = None) -> Path:
        """Downloads and unpacks the results bundle into `to` (default: under `results_dir`);
        returns the directory holding ``original.xml`` and ``output/``."""
        return self._bundle("results", guid, to)

    def diagnostic(self, guid: str, to: Optional[PathLike] = None) -> Path:
        """Downloads and unpacks the diagnostic bundle (inputs, logs, the image ID); returns its directory."""
        return self._bundle("diagnostic", guid, to)

    def _bundle(self, kind: str, guid: str, to: Optional[PathLike]) -> Path:
        target = Path(to) if to is not None else self.results_dir / f"{guid}-{kind}"
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="gssa-bundle-") as scratch:
            archive = self.http.download(self.http.simulation(guid, "/" + kind), Path(scratch) / "bundle.tgz",
                                         self.max_bundle_bytes)
            try:
                with tarfile.open(archive, "r:gz") as tar:
                    members = tar.getmembers()
                    tar.extractall(target, members=members, filter="data")
            except (tarfile.TarError, OSError, EOFError) as err:
                raise GSSAError("E_SERVER", f"run {guid}: the {kind} bundle cannot be unpacked: {err}") from None
        # The bundle keeps everything under <GUID>/ (as the original's did).
        inner = [child for child in target.iterdir() if child.is_dir()]
        return inner[0] if len(inner) == 1 and not any(child.is_file() for child in target.iterdir()) else target

    # ---- events ----

    def _dispatch(self, event: Dict[str, Any]) -> None:
        guid = event.get("guid")
        if not isinstance(guid, str):
            return
        with self._lock:
            run = self._runs.get(guid)
        if run is not None:
            run._apply(event)
            if run.done():
                with self._lock:
                    self._runs.pop(guid, None)

    def _resync(self) -> None:
        """After (re)connecting: one status request per unfinished run, for events missed meanwhile."""
        with self._lock:
            pending = list(self._runs.values())
        for run in pending:
            try:
                summary = self.status(run.guid)
            except GSSAError:
                continue
            if summary.get("state") in ENDED:
                run._apply_summary(summary)
