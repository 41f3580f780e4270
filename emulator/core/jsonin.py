"""Request bodies as text and JSON, read the way the providers' own parsers read them.

Python's ``json`` takes more than the services do: ``NaN`` and ``Infinity``, lone surrogates (``"\\ud800"``,
which no UTF-8 text can hold and which then fail wherever the string is encoded: an answer, a path, a log
line) and nesting deep enough to exhaust the interpreter. :func:`loads` refuses all of them with
:class:`BadJson` (a ValueError), so every adapter answers them with its own parse-failure code.
"""

from __future__ import annotations

import json
import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")  # in a Python str, only a lone surrogate matches
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")  # a surrogate in JSON text, maybe paired


class BadJson(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise BadJson(f"{name} is not a JSON value")


def loads(raw: bytes | str) -> Any:
    """Strict JSON: UTF-8, no NaN/Infinity, no lone surrogates, bounded nesting. Raises BadJson."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadJson("the body is not valid UTF-8") from None
    try:
        value = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise BadJson("the body is nested too deeply") from None
    except BadJson:
        raise
    except ValueError as exc:
        raise BadJson(f"the body is not valid JSON: {exc}") from None
    if _SURROGATE_ESCAPE.search(raw) is not None and has_lone_surrogate(value):
        raise BadJson("a string holds a lone UTF-16 surrogate, which is not text")
    return value


def has_lone_surrogate(value: Any) -> bool:
    """Whether any string (key or value) in a decoded JSON value holds a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def is_text(value: str) -> bool:
    """Whether a string can be written as UTF-8 (no lone surrogates)."""
    return _SURROGATE.search(value) is None
