"""The HTTP side of the client: one JSON request, one streamed download (docs/openapi.yaml)."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, BinaryIO, Dict, Mapping, Optional, Union

from .errors import GSSAError

Body = Union[bytes, BinaryIO, None]


class HTTP:
    """Calls the server with the user's token; every failure is a `GSSAError`."""

    def __init__(self, url: str, token: str, timeout: float) -> None:
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise GSSAError("E_CLIENT", f"server URL {url!r}: give http://HOST:PORT or https://HOST:PORT")
        if not token:
            raise GSSAError("E_CLIENT", "no token: create one with `gssa users add NAME --data DIR`")
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def simulation(self, guid: str, suffix: str = "") -> str:
        return "/api/v1/simulations/" + urllib.parse.quote(guid, safe="") + suffix

    def _request(self, method: str, path: str, body: Body, content_type: Optional[str],
                 query: Optional[Mapping[str, str]], length: Optional[int] = None) -> Any:
        url = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        if length is not None:
            headers["Content-Length"] = str(length)
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as err:
            raw = err.read(1 << 20)
            err.close()
            try:
                decoded = json.loads(raw)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict) and isinstance(decoded.get("error"), dict):
                raise GSSAError.from_status(decoded["error"], http_status=err.code,
                                            candidates=decoded.get("candidates") or ()) from None
            raise GSSAError("E_SERVER" if err.code >= 500 else "E_CLIENT",
                            f"{method} {path}: HTTP {err.code} {err.reason}", http_status=err.code) from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise GSSAError("E_SERVER", f"the gssa server at {self.url} cannot be reached: {reason}") from None

    def json(self, method: str, path: str, body: Any = None, *, raw: Body = None, content_type: Optional[str] = None,
             query: Optional[Mapping[str, str]] = None, length: Optional[int] = None) -> Dict[str, Any]:
        """One request whose answer is a JSON object."""
        if body is not None:
            raw, content_type = json.dumps(body).encode(), "application/json"
        with self._request(method, path, raw, content_type, query, length) as response:
            data = response.read(64 << 20)
        try:
            decoded = json.loads(data) if data else {}
        except ValueError:
            raise GSSAError("E_SERVER", f"{method} {path}: the server's answer is not JSON") from None
        if not isinstance(decoded, dict):
            raise GSSAError("E_SERVER", f"{method} {path}: the server's answer is not a JSON object")
        return decoded

    def download(self, path: str, to: Path, limit: int) -> Path:
        """Streams a GET into `to`, refusing more than `limit` bytes."""
        to.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with self._request("GET", path, None, None, None) as response, open(to, "wb") as out:
            while True:
                chunk = response.read(1 << 20)
                if not chunk:
                    break
                written += len(chunk)
                if written > limit:
                    out.close()
                    to.unlink(missing_ok=True)
                    raise GSSAError("E_CLIENT", f"{path}: the bundle is over {limit} bytes "
                                                "(raise Client(max_bundle_bytes=…) to accept it)")
                out.write(chunk)
        return to

