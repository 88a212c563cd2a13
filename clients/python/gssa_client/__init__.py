"""gssa_client: submit simulations to a gssa server from Python and follow them as futures.

>>> from concurrent.futures import as_completed
>>> from gssa_client import Client
>>> with Client("http://127.0.0.1:8080", token) as client:                # doctest: +SKIP
...     runs = client.map("definition.xml", {"CONSTANT_COOLING_RATE": [0.02, 0.05]}, inputs=["tumour.stl"])
...     for run in as_completed(runs):
...         print(run.parameters, run.result().json("summary.json"))

See docs/python-client.md.
"""
from .client import Client
from .definition import override_parameters, variations
from .errors import CODES, GSSAError
from .run import Progress, Results, Run

__all__ = ["Client", "Run", "Results", "Progress", "GSSAError", "CODES", "variations", "override_parameters"]
__version__ = "0.1.0"
