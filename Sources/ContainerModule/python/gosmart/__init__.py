"""gosmart: the in-container helper library for GSSA simulation models.

API-compatible with the original Go-Smart ``gosmart`` module as seen by ``start.py``::

    import gosmart
    gosmart.setup()
    from gosmart.parameters import P, NP, R, update
    update.status("Solving", 42.0)

Differences from the original are deliberate bug fixes: status lines end in a newline, a
status without a percentage is sent as ``|message`` (never ``b''message``), and
``R.meshed_as(kind)`` filters by ``kind``.

The ``/shared`` root can be moved with ``GSSA_SHARED_ROOT`` (used by host-side tests).
"""

import inspect
import os

import yaml

__all__ = ["setup", "GlossiaParameterLoadingError", "shared_root"]

#: Directory (relative to the CWD, or absolute) holding parameters.yml,
#: needle_parameters.yml and regions.yml.
_prefix = "input"
#: Names of the parameters the model declared; None means "not known".
_declared = None
#: When True, reading an undeclared parameter raises KeyError.
_check_declared = False
#: Set once setup() ran, so gosmart.dicts does not redo it.
_setup_done = False


class GlossiaParameterLoadingError(RuntimeError):
    """No parameter information could be read (or it was unreadable)."""


def shared_root():
    """The container's shared directory: ``$GSSA_SHARED_ROOT`` or ``/shared``."""
    return os.environ.get("GSSA_SHARED_ROOT", "/shared")


def _candidate_parameter_files(caller_dir):
    root = shared_root()
    return [
        os.path.join(caller_dir, "parameters.yml"),
        os.path.join(caller_dir, "input", "parameters.yml"),
        os.path.join(root, "output", "run", "parameters.yml"),
        os.path.join(root, "output", "parameters.yml"),
        os.path.join(root, "input", "parameters.yml"),
    ]


def _names_from_yaml(path):
    try:
        with open(path) as f:
            data = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as error:
        raise GlossiaParameterLoadingError("Could not read parameter file %s: %s" % (path, error))
    return _names_from_info(data, path)


def _names_from_info(data, origin):
    if data is None:
        return set()
    if isinstance(data, dict):
        return set(str(k) for k in data.keys())
    if isinstance(data, (list, tuple, set, frozenset)):
        return set(str(k) for k in data)
    raise GlossiaParameterLoadingError(
        "Parameter information in %s must be a mapping or a list of names, not %s"
        % (origin, type(data).__name__))


def setup(parameters=True, prefix=None, check_declared=False):
    """Locate the model's parameter information and configure gosmart.

    ``parameters``: ``True`` searches ``<caller dir>/parameters.yml``,
    ``<caller dir>/input/parameters.yml``, ``/shared/output/run/parameters.yml``,
    ``/shared/output/parameters.yml`` and ``/shared/input/parameters.yml`` in that order; a dict
    gives the information directly; a str names a YAML file; any other iterable lists the declared
    names; ``False`` disables parameter loading (no-parameter usage and tests).

    ``prefix``: directory holding the three input YAML files (default ``input``).

    ``check_declared``: make reading an undeclared parameter raise KeyError.
    """
    global _prefix, _declared, _check_declared, _setup_done

    if prefix is not None:
        _prefix = prefix

    declared = None
    if parameters is True:
        # The caller's file (without inspect.stack(), which reads every frame's source).
        caller_file = inspect.currentframe().f_back.f_code.co_filename
        caller_dir = os.path.dirname(os.path.abspath(caller_file)) if caller_file and not caller_file.startswith("<") else os.getcwd()
        for candidate in _candidate_parameter_files(caller_dir):
            if os.path.isfile(candidate):
                declared = _names_from_yaml(candidate)
                break
        else:
            raise GlossiaParameterLoadingError(
                "No parameters.yml found; looked in: " + ", ".join(_candidate_parameter_files(caller_dir)))
    elif parameters is False or parameters is None:
        declared = None
    elif isinstance(parameters, dict):
        declared = _names_from_info(parameters, "setup(parameters=...)")
    elif isinstance(parameters, str):
        if not os.path.isfile(parameters):
            raise GlossiaParameterLoadingError("Parameter file %s does not exist" % parameters)
        declared = _names_from_yaml(parameters)
    else:
        try:
            declared = set(str(name) for name in parameters)
        except TypeError:
            raise GlossiaParameterLoadingError(
                "setup(parameters=...) takes True, False, a dict, a file name or names, not %r" % (parameters,))

    _declared = declared
    _check_declared = bool(check_declared)
    _setup_done = True

    # If gosmart.parameters is already imported, reload it so the new prefix applies.
    import sys
    module = sys.modules.get("gosmart.parameters")
    if module is not None and prefix is not None:
        module.load()
