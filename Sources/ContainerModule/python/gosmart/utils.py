"""Parameter typing shared with the server (reference §2.3)."""

import json

__all__ = ["convert_parameter"]


def convert_parameter(value, typ=None, try_json=True):
    """Turn a parameter's string value into a Python value according to its type string.

    * ``None`` or ``"null"`` gives None;
    * ``float``, ``integer``, ``boolean`` and ``string`` are cast directly (a boolean is true
      unless the value is ``"false"``, case-insensitively, or empty);
    * any other type, or a failed cast, is parsed as JSON when ``try_json`` is set
      (``array(float)``, ``[1, 2]``, ...);
    * failing that the raw string is returned.
    """
    if value is None or value == "null":
        return None

    text = value if isinstance(value, str) else str(value)
    if isinstance(value, bool):
        text = "true" if value else "false"

    cast = {
        "float": float,
        "integer": int,
        "int": int,
        "boolean": lambda v: v.strip().lower() not in ("false", ""),
        "bool": lambda v: v.strip().lower() not in ("false", ""),
        "string": str,
        "str": str,
    }.get(typ)

    if cast is not None:
        try:
            return cast(text)
        except (TypeError, ValueError):
            pass

    if try_json:
        try:
            return json.loads(text)
        except ValueError:
            pass

    return text
