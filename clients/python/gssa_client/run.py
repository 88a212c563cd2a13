"""`Run`: one simulation on the server, as a `concurrent.futures.Future`."""
from __future__ import annotations

import csv
import json
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from .errors import GSSAError

if TYPE_CHECKING:
    from .client import Client

#: States after which a run changes no more.
ENDED = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class Progress:
    """One progress report of a run (a `status` event)."""

    state: str
    percentage: Optional[float]
    message: str


@dataclass
class Results:
    """A finished run's unpacked results bundle: ``directory`` holds what the server bundled
    (``original.xml``, ``guid``, ``output/…``)."""

    guid: str
    directory: Path
    summary: Dict[str, Any] = field(default_factory=dict)

    def find(self, name: str) -> Path:
        """The first file called `name` anywhere in the bundle (E_CLIENT if there is none)."""
        for path in sorted(self.directory.rglob(name)):
            if path.is_file():
                return path
        raise GSSAError("E_CLIENT", f"run {self.guid}: no {name} in its results ({self.directory})")

    def json(self, name: str) -> Any:
        """The JSON file called `name` (e.g. ``summary.json``), decoded."""
        with open(self.find(name), encoding="utf-8") as f:
            return json.load(f)

    def table(self, name: str = "sweep.csv") -> List[Dict[str, str]]:
        """The CSV file called `name` as rows of ``{column: text}``: by default a sweep's table,
        one row per child (``guid``, its swept values, ``state``, ``code``, then the scalar fields
        of its ``summary.json``)."""
        with open(self.find(name), encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))


class Run(Future):  # type: ignore[type-arg]
    """A run on the server. It is a `concurrent.futures.Future`, so `as_completed`, `wait`,
    `add_done_callback` and `result()` work as for a pool's futures:

    - it is done when the server publishes the run's end (over the event WebSocket);
    - `result()` downloads and unpacks the results bundle (once) and returns `Results`;
      a failed run raises `GSSAError` with its code (``E_MODEL``…) and message;
    - `cancel()` cancels the run on the server, at any stage, and then the future.

    A sweep's parent (``submit(..., sweep=…)``) is a `Run` too: it ends when all its children
    have; `sweep` holds its ``size``, ``counts`` per state and ``percentage``; `children()` are
    the children's `Run`s. A run started with ``after`` that can never start (a dependency
    failed, was cancelled or is gone) ends with `GSSAError` ``E_CANCELLED`` naming the dependency,
    not `CancelledError`: nobody cancelled it.
    """

    def __init__(self, client: "Client", guid: str, parameters: Optional[Dict[str, Any]] = None) -> None:
        super().__init__()
        self.client = client
        #: The run's GUID on the server.
        self.guid = guid
        #: The parameter values this run overrides (for a run of `Client.map`).
        self.parameters: Dict[str, Any] = dict(parameters or {})
        #: The last known state (``created``, ``queued``, ``running``, ``succeeded``…).
        self.state = "created"
        #: Every progress report received, in order.
        self.history: List[Progress] = []
        #: The end event's status object, once ended.
        self.outcome: Optional[Dict[str, Any]] = None
        #: For a sweep's parent: the server's ``{size, counts, percentage, parameters}`` as last
        #: fetched (`status()` refreshes it); None for other runs.
        self.sweep: Optional[Dict[str, Any]] = None
        #: The runs this one waits for (``after``), as the server recorded them.
        self.after: List[str] = []
        self._callbacks: List[Callable[["Run", Progress], None]] = []
        self._results: Optional[Results] = None
        self._results_lock = threading.Lock()
        self._cancel_lock = threading.Lock()
        self._notified = False

    def __repr__(self) -> str:
        return f"<Run {self.guid} {self.state}>"

    # ---- progress ----

    @property
    def progress(self) -> Optional[Progress]:
        """The latest progress report, if any."""
        return self.history[-1] if self.history else None

    def add_progress_callback(self, callback: Callable[["Run", Progress], None]) -> None:
        """Calls `callback(run, progress)` on each report (on the client's event thread: keep it short)."""
        self._callbacks.append(callback)

    def running(self) -> bool:
        """True while the server runs it (meshing, staging or in its container)."""
        return self.state in ("starting", "running")

    # ---- server-side actions ----

    def cancel(self) -> bool:
        """Cancels the run on the server, then this future. True if it is cancelled (now or
        before), False if it had already ended otherwise."""
        if self.done():
            return self.cancelled()
        try:
            self.client.cancel(self.guid)
        except GSSAError:
            if self.done():
                return False
            raise
        self.state = "cancelled"
        return self._cancel_future()

    def status(self) -> Dict[str, Any]:
        """The server's summary of the run (``state``, ``status``, ``exit_status``, for a sweep
        ``sweep``…); it also refreshes `state` and `sweep` (and ends the future if the run ended)."""
        summary = self.client.status(self.guid)
        self._apply_summary(summary)
        return summary

    def children(self) -> List["Run"]:
        """A sweep's children as `Run` futures, in their order (`parameters`: each one's swept
        values); empty for a run that is not a sweep."""
        return self.client.children(self.guid)

    def logs(self, only: Optional[str] = None) -> Dict[str, str]:
        """The container's ``stdout`` and ``stderr``."""
        return self.client.logs(self.guid, only=only)

    def diagnostic(self, to: Optional[Path] = None) -> Path:
        """Downloads and unpacks the diagnostic bundle (inputs, logs, image ID); returns its directory."""
        return self.client.diagnostic(self.guid, to)

    def result(self, timeout: Optional[float] = None) -> Results:
        """Waits for the end; then downloads and unpacks the results (once) and returns them.
        Raises `GSSAError` for a failed run and `CancelledError` for a cancelled one."""
        summary = super().result(timeout)
        with self._results_lock:
            if self._results is None:
                directory = self.client.results(self.guid)
                self._results = Results(self.guid, directory, summary)
            return self._results

    def _cancel_future(self) -> bool:
        # Future.cancel() alone does not wake as_completed/wait; set_running_or_notify_cancel does.
        with self._cancel_lock:
            if self._notified:
                return True
            if not super().cancel():
                return self.cancelled()
            self._notified = True
            self.set_running_or_notify_cancel()
            return True

    # ---- from the event stream ----

    def _apply(self, event: Dict[str, Any]) -> None:
        kind = event.get("type")
        state = event.get("state")
        if isinstance(state, str):
            self.state = state
        raw_status = event.get("status")
        status: Dict[str, Any] = raw_status if isinstance(raw_status, dict) else {}
        if kind == "status":
            percentage = event.get("percentage")
            progress = Progress(self.state, float(percentage) if isinstance(percentage, (int, float)) else None,
                                str(status.get("message", "")))
            self.history.append(progress)
            for callback in list(self._callbacks):
                try:
                    callback(self, progress)
                except Exception:  # noqa: BLE001 - a user's callback must not stop the event thread
                    pass
        elif kind in ("complete", "fail"):
            self._finish(kind == "complete", status, event)

    def _apply_summary(self, summary: Dict[str, Any]) -> None:
        """A summary fetched over HTTP (after a reconnection): ends the future if the run ended."""
        sweep = summary.get("sweep")
        if isinstance(sweep, dict):
            self.sweep = sweep
        after = summary.get("after")
        if isinstance(after, list):
            self.after = [str(item) for item in after]
        if self.done():
            return
        state = summary.get("state")
        if isinstance(state, str):
            self.state = state
        if state in ENDED:
            exit_status = summary.get("exit_status")
            self._finish(state == "succeeded", exit_status if isinstance(exit_status, dict) else {}, summary)

    def _finish(self, success: bool, status: Dict[str, Any], event: Dict[str, Any]) -> None:
        if self.done():
            return
        self.outcome = status
        try:
            if success:
                self.set_result(event)
            elif status.get("code") == "E_CANCELLED" and not str(status.get("message", "")).startswith("dependency "):
                self.state = "cancelled"
                self._cancel_future()
            elif status.get("code") == "E_CANCELLED":
                # It never started: a run it waits for failed, was cancelled or is gone.
                self.state = "cancelled"
                self.set_exception(GSSAError.from_status(status))
            else:
                self.set_exception(GSSAError.from_status(status))
        except Exception:  # noqa: BLE001 - InvalidStateError: cancelled meanwhile by the user
            pass
