"""Compatibility: importing gosmart.dicts sets gosmart up when setup() was not called."""

import os

import gosmart

if not gosmart._setup_done:
    if os.path.isfile("parameters.yml"):
        gosmart.setup("parameters.yml")
    else:
        shared_parameters = os.path.join(gosmart.shared_root(), "input", "parameters.yml")
        gosmart.setup(shared_parameters if os.path.isfile(shared_parameters) else False)

from gosmart.parameters import P, NP, R, region_dict  # noqa: E402,F401
