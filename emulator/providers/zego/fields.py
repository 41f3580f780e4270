"""Typed reads from a JSON request body, raising ZEGO's codes.

ZEGO's mixing service decodes a body into typed structures (like Go's encoding/json): a value of the wrong
JSON type fails the decode (110200184 for a start request, 110200185 for a stop), unknown keys are ignored
and ``null`` is the same as absent. A value of the right type but outside its range is an input parameter
error (110200002) unless a caller names a more precise code.

The legacy web API is more forgiving, as its own samples show: keys match case-insensitively (the curl sample
sends ``mixOutput``), ``""`` stands for absent (``"output_bg_color": ''``) and numbers may come as strings.
"""

from __future__ import annotations

import re
from typing import Any

from emulator.core import jsonin
from emulator.providers.zego.errors import BAD_PARAM, PARSE_FAILED, ZegoError

INT64 = 2**63 - 1
UINT32 = 2**32 - 1
_DECIMAL = re.compile(r"-?[0-9]{1,20}")


def decimal(text: str, *, unsigned: bool = False) -> int | None:
    """A plain ASCII decimal integer, or None (str.isdigit would let "²" through to int())."""
    text = text.strip()
    if _DECIMAL.fullmatch(text) is None or (unsigned and text.startswith("-")):
        return None
    return int(text)


def json_body(raw: bytes) -> Any:
    """A request body as JSON; ZEGO's 110200004 (legacy 4) when it is empty or not JSON."""
    if not raw.strip():
        raise ZegoError(PARSE_FAILED, "the body is empty: send the parameters as a JSON object")
    try:
        return jsonin.loads(raw)
    except (ValueError, RecursionError):
        raise ZegoError(PARSE_FAILED, "the body is not valid JSON") from None


class Reader:
    """One JSON object of a request, read field by field; ``path`` names it in error messages."""

    def __init__(self, data: Any, path: str, *, type_code: int, lenient: bool = False) -> None:
        if not isinstance(data, dict):
            raise ZegoError(type_code, f"{path or 'body'} must be a JSON object")
        self.path = path
        self.type_code = type_code
        self.lenient = lenient
        self._data = data
        self._folded = {k.lower(): k for k in data if isinstance(k, str)} if lenient else {}

    def name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def raw(self, key: str) -> Any:
        """The value of ``key`` (None when absent or null; "" too, for the legacy API)."""
        value = self._data.get(key)
        if value is None and self.lenient:
            value = self._data.get(self._folded.get(key.lower(), key))
        if self.lenient and value == "":
            return None
        return value

    def has(self, key: str) -> bool:
        return self.raw(key) is not None

    # ----- scalars
    def string(
        self, key: str, *, required: bool = False, max_len: int = 1024, code: int = BAD_PARAM
    ) -> str | None:
        value = self.raw(key)
        if value is None or value == "":
            if required:
                raise ZegoError(code, f"{self.name(key)} is required")
            return None
        if not isinstance(value, str):
            if self.lenient and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            else:
                raise ZegoError(self.type_code, f"{self.name(key)} must be a string")
        if len(value) > max_len:
            raise ZegoError(code, f"{self.name(key)} is longer than {max_len} characters")
        return value

    def integer(
        self,
        key: str,
        *,
        default: int | None = None,
        lo: int = 0,
        hi: int = INT64,
        required: bool = False,
        code: int = BAD_PARAM,
    ) -> int | None:
        value = self.raw(key)
        if value is None:
            if required:
                raise ZegoError(code, f"{self.name(key)} is required")
            return default
        if self.lenient and isinstance(value, str) and decimal(value) is not None:
            value = decimal(value)
        if isinstance(value, float) and self.lenient and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ZegoError(self.type_code, f"{self.name(key)} must be an integer")
        # Does not decode into the service's integer field at all (int64; uint64 fields, hi above INT64,
        # reach 2**64 - 1: the legacy appid).
        if not -INT64 - 1 <= value <= max(hi, INT64):
            raise ZegoError(self.type_code, f"{self.name(key)} is out of the integer range")
        if not lo <= value <= hi:
            raise ZegoError(code, f"{self.name(key)} must be in [{lo}, {hi}], got {value}")
        return value

    def sequence(self, key: str) -> int | None:
        """A request Sequence; 0 is what an absent field decodes to, so it means "no Sequence" too."""
        return self.integer(key) or None

    # ----- containers
    def obj(self, key: str) -> Reader | None:
        value = self.raw(key)
        if value is None:
            return None
        return Reader(value, self.name(key), type_code=self.type_code, lenient=self.lenient)

    def array(self, key: str) -> list[Any]:
        value = self.raw(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise ZegoError(self.type_code, f"{self.name(key)} must be an array")
        return value

    def objects(self, key: str) -> list[Reader]:
        """An array of objects, each as a Reader named ``key[i]``."""
        return [
            Reader(item, f"{self.name(key)}[{i}]", type_code=self.type_code, lenient=self.lenient)
            for i, item in enumerate(self.array(key))
        ]
