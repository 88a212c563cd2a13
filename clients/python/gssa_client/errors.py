"""The error every gssa_client call raises: the server's GSSA code and message."""
from __future__ import annotations

from typing import Any, Optional, Sequence

#: The GSSA codes and their numbers (the original's `gssa.error.Error`, in order).
CODES = {"SUCCESS": 0, "E_UNKNOWN": 1, "E_CLIENT": 2, "E_SERVER": 3, "E_MODEL": 4, "IN_PROGRESS": 5, "E_CANCELLED": 6}


class GSSAError(Exception):
    """A failure with its GSSA code (``E_CLIENT`` bad input, ``E_SERVER`` server or I/O, ``E_MODEL``
    the model failed, ``E_CANCELLED``…) and the server's human message, which names the line,
    element or limit at fault.

    ``http_status`` is the HTTP status when the server answered; ``candidates`` lists the runs an
    ambiguous GUID prefix matched.
    """

    def __init__(self, code: str, message: str, *, http_status: Optional[int] = None,
                 candidates: Sequence[str] = ()) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status
        self.candidates = list(candidates)

    @property
    def id(self) -> int:
        """The code's number (``E_CLIENT`` is 2), as in the original's error objects."""
        return CODES.get(self.code, 1)

    @classmethod
    def from_status(cls, status: Any, *, http_status: Optional[int] = None, candidates: Sequence[str] = ()) -> "GSSAError":
        """From a status object ``{id, code, message}`` as the server sends it."""
        if isinstance(status, dict):
            code = status.get("code")
            if not isinstance(code, str) or code not in CODES:
                code = next((name for name, number in CODES.items() if number == status.get("id")), "E_UNKNOWN")
            return cls(code, str(status.get("message", "")), http_status=http_status, candidates=candidates)
        return cls("E_UNKNOWN", str(status), http_status=http_status, candidates=candidates)
