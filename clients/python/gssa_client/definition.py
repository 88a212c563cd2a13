"""GSSA-XML definitions on the client side: reading one, and the variations of a sweep.

`Client.map` runs one run per variation, each with its parameters overridden in the definition
itself, so that every run's `original.xml` says exactly what it computed.
"""
from __future__ import annotations

import itertools
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Sequence, Union

from .errors import GSSAError

#: A definition: a path to a GSSA-XML file, or the XML text itself.
Definition = Union[str, "os.PathLike[str]"]

#: Largest definition the server accepts (its GSSA-XML limit).
MAX_DEFINITION_BYTES = 16 << 20


def read_definition(definition: Definition) -> str:
    """The XML text of a definition given as text (starting with ``<``) or as a file path."""
    if isinstance(definition, str) and definition.lstrip().startswith("<"):
        text = definition
    else:
        path = Path(definition)
        try:
            if path.stat().st_size > MAX_DEFINITION_BYTES:
                raise GSSAError("E_CLIENT", f"{path}: over {MAX_DEFINITION_BYTES >> 20} MiB, the server's GSSA-XML limit")
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise GSSAError("E_CLIENT", f"cannot read the definition {path}: {err.strerror or err}") from None
    if len(text.encode("utf-8", "surrogatepass")) > MAX_DEFINITION_BYTES:
        raise GSSAError("E_CLIENT", f"the definition is over {MAX_DEFINITION_BYTES >> 20} MiB, the server's GSSA-XML limit")
    return text


def variations(sweep: Mapping[str, Sequence[Any]]) -> List[Dict[str, Any]]:
    """Every combination of the sweep's values (the cartesian product, in the order given):
    ``{"A": [1, 2], "B": [3]}`` gives ``[{"A": 1, "B": 3}, {"A": 2, "B": 3}]``."""
    if not isinstance(sweep, Mapping) or not sweep:
        raise GSSAError("E_CLIENT", "a sweep is a non-empty map {PARAMETER: [values]}")
    names = list(sweep)
    lists: List[List[Any]] = []
    for name in names:
        values = sweep[name]
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
            raise GSSAError("E_CLIENT", f"sweep {name}: give a non-empty list of values")
        lists.append(list(values))
    return [dict(zip(names, combination)) for combination in itertools.product(*lists)]


def parameter_text(value: Any) -> str:
    """A Python value as a GSSA-XML parameter value: booleans ``true``/``false``, lists as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    return str(value)


def override_parameters(text: str, values: Mapping[str, Any]) -> str:
    """The definition with the top-level ``<parameters>`` values replaced. A name the definition
    does not declare is refused (its type would be a guess)."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as err:
        line = err.position[0] if err.position else 0
        raise GSSAError("E_CLIENT", f"line {line}: malformed GSSA-XML: {err}") from None
    parameters = root.find("parameters")
    found = {p.get("name"): p for p in (parameters.findall("parameter") if parameters is not None else [])}
    for name, value in values.items():
        if name not in found:
            raise GSSAError("E_CLIENT", f"sweep {name}: no <parameter name=\"{name}\"> in the definition's "
                                        "<parameters>; declare it there (with its type) to sweep it")
        found[name].set("value", parameter_text(value))
    return ET.tostring(root, encoding="unicode")


def iter_input_files(inputs: Sequence[Union[str, "os.PathLike[str]"]]) -> Iterator[tuple[Path, str]]:
    """(path, name in the archive) for each input: a file by its base name, a directory's files by
    their path inside it (as `gssa launch -i` does)."""
    for entry in inputs:
        path = Path(entry)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file():
                    yield child, child.relative_to(path).as_posix()
        elif path.is_file():
            yield path, path.name
        else:
            raise GSSAError("E_CLIENT", f"input {path} does not exist")
