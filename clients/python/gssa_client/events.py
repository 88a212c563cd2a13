"""The server's event WebSocket (`/api/v1/events`), followed on one background thread.

Runs learn their progress and their end from here, not from polling. After a reconnection the
client asks the server once for each unfinished run's status, so an event missed while the
socket was down is not lost.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Callable, Dict, Optional

import websocket  # websocket-client

from .errors import GSSAError

log = logging.getLogger("gssa_client")


class EventStream:
    """One thread that keeps a WebSocket open, reconnecting with a bounded back-off, and hands each
    JSON event to `dispatch`; `resync` runs after every (re)connection."""

    def __init__(self, url: str, token: str, dispatch: Callable[[Dict[str, Any]], None],
                 resync: Callable[[], None]) -> None:
        self.url = url.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/api/v1/events"
        self.token = token
        self.dispatch = dispatch
        self.resync = resync
        self.connected = threading.Event()
        self.stopping = threading.Event()
        self.last_error: Optional[str] = None
        self._socket: Optional[websocket.WebSocket] = None
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    def start(self, timeout: float) -> None:
        """Starts the thread once and waits until the socket is open (E_SERVER if it cannot be)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._follow, name="gssa-events", daemon=True)
                self._thread.start()
        if not self.connected.wait(timeout):
            raise GSSAError("E_SERVER", f"cannot open the event WebSocket {self.url}: {self.last_error or 'timed out'}")

    def stop(self) -> None:
        self.stopping.set()
        sock = self._socket
        if sock is not None:
            try:
                sock.close(timeout=1)
            except Exception:  # noqa: BLE001 - closing an already broken socket
                pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(10)

    def _follow(self) -> None:
        delay = 0.5
        while not self.stopping.is_set():
            try:
                sock = websocket.create_connection(self.url, header=[f"Authorization: Bearer {self.token}"], timeout=10)
            except Exception as err:  # noqa: BLE001 - reported through last_error and retried
                self.last_error = str(err) or type(err).__name__
                self.stopping.wait(delay)
                delay = min(delay * 2, 10.0)
                continue
            self._socket = sock
            delay = 0.5
            sock.settimeout(5)
            self.connected.set()
            try:
                self.resync()
            except Exception as err:  # noqa: BLE001 - the next event or reconnection tries again
                log.warning("cannot refresh the runs after connecting: %s", err)
            last_ping = time.monotonic()
            try:
                while not self.stopping.is_set():
                    try:
                        message = sock.recv()
                    except websocket.WebSocketTimeoutException:
                        if time.monotonic() - last_ping > 30:
                            sock.ping()
                            last_ping = time.monotonic()
                        continue
                    if not message:
                        break
                    try:
                        event = json.loads(message)
                    except ValueError:
                        continue
                    if isinstance(event, dict):
                        self.dispatch(event)
            except Exception as err:  # noqa: BLE001 - the connection dropped; reconnect
                self.last_error = str(err) or type(err).__name__
            finally:
                self.connected.clear()
                self._socket = None
                try:
                    sock.close()
                except Exception:  # noqa: BLE001
                    pass
            self.stopping.wait(0.5)
