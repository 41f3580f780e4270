"""Long listings answered one item at a time.

The control API lists hundreds of finished tasks, a thousand journal entries, ten thousand Tencent
sessions. Built as one document, each item's view is a few dozen small objects and all of them are alive
at once, a peak that takes Python fresh object arenas, which the few objects still alive after it (caches,
a resized table) keep pinned: the process's RSS would step up with each longer listing. Encoded item by
item, only one view is alive at a time, and the text it leaves is one block.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from aiohttp import web


def json_listing(name: str, views: Iterable[dict[str, Any]]) -> web.Response:
    """``{name: [view, ...]}``, as ``web.json_response`` encodes it; ``views`` is consumed lazily."""
    items = ", ".join(json.dumps(view) for view in views)
    return web.Response(text=f"{{{json.dumps(name)}: [{items}]}}", content_type="application/json")
