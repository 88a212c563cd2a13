"""Fixtures of the gssa_client suite. The server tests need a real gssa server with a launch
daemon (scripts/client-tests starts one and exports GSSA_SERVER and GSSA_TOKEN); without it they
skip saying so, except under CI=true, where that is a failure."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from gssa_client import Client

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "examples" / "python-demo"


@pytest.fixture(scope="session")
def server() -> tuple[str, str]:
    url, token = os.environ.get("GSSA_SERVER"), os.environ.get("GSSA_TOKEN")
    if not url or not token:
        message = "no gssa server (GSSA_SERVER/GSSA_TOKEN unset): run scripts/client-tests"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url, token


@pytest.fixture
def client(server: tuple[str, str], tmp_path: Path) -> Iterator[Client]:
    with Client(*server, results_dir=tmp_path / "results") as c:
        yield c
