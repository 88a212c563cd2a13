"""Fixtures of the WAMP compatibility suite: the router, realm and gssa stack it runs against.

scripts/client-tests starts a real gssa server with a launch daemon (scripts/gssa-stack) and the
router with the bridge (scripts/wamp-up), then exports where they are. Without them the suite
skips saying so, except under CI=true, where a missing part is a failure.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Stack:
    router: str
    realm: str
    transfer: Path
    repo: Path


@pytest.fixture(scope="session")
def stack() -> Stack:
    names = ("WAMP_ROUTER", "WAMP_REALM", "GSSA_TRANSFER")
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        message = f"no router/bridge/gssa stack ({', '.join(missing)} unset): run scripts/client-tests"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return Stack(os.environ["WAMP_ROUTER"], os.environ["WAMP_REALM"], Path(os.environ["GSSA_TRANSFER"]),
                 Path(__file__).resolve().parents[3])
