"""``GET /_emulator/openapi.json``: an OpenAPI 3 document built from the table in control/openapi_table.py."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from emulator import __version__
from emulator.control.openapi_table import OPERATIONS, Op

_PARAM = re.compile(r"{(\w+)}")
_ERROR = {"$ref": "#/components/schemas/Error"}


def _schema(kind: str) -> dict[str, Any]:
    kinds = kind.split("|")
    return {"type": kinds[0]} if len(kinds) == 1 else {"oneOf": [{"type": k} for k in kinds]}


def _fields(spec: tuple[str, ...]) -> tuple[dict[str, Any], list[str]]:
    properties, required = {}, []
    for item in spec:
        name, kind = (part.strip() for part in item.split(":", 1))
        if not name.endswith("?"):
            required.append(name)
        properties[name.rstrip("?")] = _schema(kind)
    return properties, required


def _operation(op: Op) -> dict[str, Any]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PARAM.findall(op.path)
    ]
    query, _ = _fields(op.query)
    parameters += [{"name": name, "in": "query", "schema": schema} for name, schema in query.items()]
    content: dict[str, Any] = (
        {op.returns: {"schema": {"type": "object"}}}
        if op.returns.endswith("json")
        else {op.returns: {"schema": {"type": "string", "format": "binary"}}}
    )
    operation: dict[str, Any] = {
        "summary": op.summary,
        "tags": [op.tag],
        "operationId": f"{op.method.lower()}{re.sub(r'[^A-Za-z0-9]+', '_', op.path)}",
        "responses": {
            **{str(status): {"description": "OK", "content": content} for status in op.statuses},
            "4XX": {"description": "A bad request", "content": {"application/json": {"schema": _ERROR}}},
        },
    }
    if parameters:
        operation["parameters"] = parameters
    if op.body:
        properties, required = _fields(op.body)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    return operation


def build_document(operations: tuple[Op, ...] = OPERATIONS) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "mix-emulator control API",
            "version": __version__,
            "description": "The /_emulator routes: streams, URL mapping, tasks, journal, faults, clock.",
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "field": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                }
            }
        },
    }


async def openapi_document(request: web.Request) -> web.Response:
    return web.json_response(build_document())
