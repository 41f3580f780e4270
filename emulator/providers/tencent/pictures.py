"""Watermark pictures for ``input_type`` 2: ``picture_id`` -> a picture source.

On the real service a picture is uploaded as a watermark in the console beforehand and gets an id; here
they are registered through the control API (``/_emulator/tencent/pictures``) or the config file
(``[providers.tencent] pictures = {"10" = "fixtures/media/logo.png"}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Picture:
    picture_id: int
    source: str  # a source spec: a PNG/JPEG file inside the media roots, an http(s) URL ...
    width: int | None = None  # the picture's own size, when known (the default window size)
    height: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class PictureRegistry:
    def __init__(self, configured: Mapping[str, Any] | None = None) -> None:
        self._configured = dict(configured or {})
        self._pictures: dict[int, Picture] = {}
        self.reset()

    def add(self, picture: Picture) -> None:
        self._pictures[picture.picture_id] = picture

    def get(self, picture_id: int) -> Picture | None:
        return self._pictures.get(picture_id)

    def remove(self, picture_id: int) -> bool:
        return self._pictures.pop(picture_id, None) is not None

    def list(self) -> list[Picture]:
        return sorted(self._pictures.values(), key=lambda p: p.picture_id)

    def reset(self) -> None:
        """Back to the pictures of the config file."""
        self._pictures = {}
        for key, source in self._configured.items():
            if str(key).isdigit() and isinstance(source, str):
                self.add(Picture(int(key), source))
