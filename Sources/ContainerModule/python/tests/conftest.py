"""Fixtures: a scratch run directory with the three input YAML files, and a fresh gosmart."""

import importlib
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
# Run against the source tree when not installed (host runs); the image has it installed.
sys.path.insert(0, os.path.dirname(HERE))

PARAMETERS = """\
SIMULATION_SCALING: [float, '0.001']
MAX_ITERATIONS: [integer, '12']
USE_ADAPTIVE: [boolean, 'False']
VERBOSE: [boolean, 'yes']
LABEL: [string, 'rfa']
NEEDLE_TIP: [array(float), '[0.0, 14.0, 0.5]']
NOTHING: [float, 'null']
FREEFORM: [weird, 'not json']
"""

NEEDLES = """\
class: boundary
index: '1'
input: library:rfa-cylinder-1
parameters: {NEEDLE_TIP_LOCATION: [array(float), '[0.0, 14.0, 0.0]'], POWER: [float, '200']}
---
class: solid-boundary
index: '2'
input: 2.stl
parameters: {NEEDLE_TIP_LOCATION: [array(float), '[1.0, 2.0, 3.0]']}
"""

REGIONS = """\
organ-1: {format: zone, groups: [all, organs, tissues], input: organ-1.stl, meaning: organ, id: 3, meshed_as: zone}
vessel-2: {format: surface, groups: [all, vessels, boundaries], input: vessel-2.stl, meaning: vessel, id: 7, meshed_as: surface}
needle-1: {groups: [needles], id: 9, meshed_as: surface, filename: mesher/needle-1.vtp}
tumour-4: {format: zone, groups: [tumours], input: tumour-4.stl}
"""


def fresh_gosmart():
    for name in list(sys.modules):
        if name == "gosmart" or name.startswith("gosmart."):
            del sys.modules[name]
    return importlib.import_module("gosmart")


@pytest.fixture
def rundir(tmp_path, monkeypatch):
    """A run directory like /shared/output/run, with input/*.yml, as the CWD."""
    inputs = tmp_path / "input"
    inputs.mkdir()
    (inputs / "parameters.yml").write_text(PARAMETERS)
    (inputs / "needle_parameters.yml").write_text(NEEDLES)
    (inputs / "regions.yml").write_text(REGIONS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GSSA_SHARED_ROOT", str(tmp_path / "shared"))
    monkeypatch.delenv("GSSA_STATUS_SOCKET", raising=False)
    yield tmp_path
    fresh_gosmart()


@pytest.fixture
def gosmart(rundir):
    return fresh_gosmart()
