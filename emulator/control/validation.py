"""Strict JSON input for the control API: every bad body gets a 4xx JSON error naming the field."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from emulator.core import jsonin


class FieldError(Exception):
    def __init__(self, field: str, message: str, *, status: int = 400, code: str = "InvalidField") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status
        self.code = code


def json_error(status: int, code: str, message: str, field: str | None = None) -> web.Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return web.json_response({"error": error}, status=status)


@dataclass(frozen=True)
class Field:
    types: type | tuple[type, ...]
    required: bool = False
    check: Callable[[Any], str | None] | None = None  # returns an error message, or None when fine


_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    dict: "an object",
}


def _type_name(types: type | tuple[type, ...]) -> str:
    items = types if isinstance(types, tuple) else (types,)
    return " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in items)


def _is_instance(value: Any, types: type | tuple[type, ...]) -> bool:
    items = types if isinstance(types, tuple) else (types,)
    if isinstance(value, bool):  # JSON true is not a number
        return bool in items
    if isinstance(value, int) and float in items:
        return True
    return isinstance(value, items)


async def read_json_object(request: web.Request) -> dict[str, Any]:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise FieldError(
            "body", "larger than the body size limit (MIXEMU_MAX_BODY_BYTES)", status=413, code="BodyTooLarge"
        ) from None
    if not raw.strip():
        raise FieldError("body", "a JSON object is required")
    try:
        data = jsonin.loads(raw)
    except (ValueError, RecursionError):
        raise FieldError("body", "not valid JSON") from None
    if not isinstance(data, dict):
        raise FieldError("body", "must be a JSON object")
    return data


def validate(data: dict[str, Any], spec: dict[str, Field]) -> dict[str, Any]:
    """Check names, types and rules; returns the data with absent optional fields as None."""
    for name in data:
        if name not in spec:
            raise FieldError(name, f"unknown field (known: {', '.join(sorted(spec))})")
    out: dict[str, Any] = {}
    for name, rule in spec.items():
        value = data.get(name)
        if value is None:
            if rule.required:
                raise FieldError(name, "is required")
            out[name] = None
            continue
        if not _is_instance(value, rule.types):
            raise FieldError(name, f"must be {_type_name(rule.types)}")
        if rule.check is not None and (problem := rule.check(value)):
            raise FieldError(name, problem)
        out[name] = value
    return out


def in_range(low: float, high: float) -> Callable[[Any], str | None]:
    return lambda v: None if low <= v <= high else f"must be between {low:g} and {high:g}"


def text(max_len: int, *, allow_slash: bool = True) -> Callable[[Any], str | None]:
    def check(value: str) -> str | None:
        if not value:
            return "must not be empty"
        if len(value) > max_len:
            return f"longer than {max_len} characters"
        if "\x00" in value or not jsonin.is_text(value):
            return "must be text without NUL characters or lone surrogates"
        if not allow_slash and ("/" in value or "\\" in value):
            return "must not contain / or \\"
        return None

    return check


def query_int(request: web.Request, name: str, low: int, high: int) -> int | None:
    raw = request.query.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise FieldError(name, "must be an integer") from None
    if not low <= value <= high:
        raise FieldError(name, f"must be between {low} and {high}")
    return value
