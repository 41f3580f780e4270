"""The ``(METHOD, PATH)`` pairs of every /_emulator route an app serves, as the app declares them."""

from __future__ import annotations

from pathlib import Path

from emulator.app import create_app
from emulator.config import Settings


def served_control_routes(data_dir: Path) -> set[tuple[str, str]]:
    app = create_app(Settings(port=0, rtmp_port=None, data_dir=data_dir))
    found = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter") or ""
        if path.startswith("/_emulator") and route.method != "HEAD":
            found.add((route.method, path))
    return found
