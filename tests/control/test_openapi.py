"""``/_emulator/openapi.json`` describes every control route the app serves."""

from __future__ import annotations

from pathlib import Path

from emulator.control.openapi import build_document
from emulator.testing import EmulatorFixture
from tests.control.served_routes import served_control_routes


def test_the_document_lists_every_route_the_app_serves(tmp_path: Path) -> None:
    paths = build_document()["paths"]
    described = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    missing = sorted(served_control_routes(tmp_path) - described)
    assert not missing, f"routes missing from emulator/control/openapi_table.py: {missing}"


def test_the_document_is_served_as_openapi_3(mix_emulator: EmulatorFixture) -> None:
    document = mix_emulator.openapi()
    assert document["openapi"].startswith("3.")
    publish = document["paths"]["/_emulator/streams"]["post"]
    schema = publish["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["stream_id", "source"]
    assert schema["properties"]["loop"] == {"type": "boolean"}
    task = document["paths"]["/_emulator/tasks/{task_id}"]["get"]
    assert task["parameters"] == [
        {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
