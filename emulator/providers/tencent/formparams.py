"""Cloud API 3.0 parameters sent flat (TC3 GET mode and v1 signatures): ``InputStreamList.0.LayoutParams.
ImageLayer=1`` back into the JSON object a POST would carry.

The SDKs flatten objects with ``.`` and lists with ``.<index>``; every value arrives as text, and the
gateway types it by the API's schema: the numeric fields below become numbers, all others stay strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

NUMERIC = frozenset(
    {
        "ImageLayer",
        "InputType",
        "ImageWidth",
        "ImageHeight",
        "LocationX",
        "LocationY",
        "WatermarkId",
        "CropWidth",
        "CropHeight",
        "CropStartLocationX",
        "CropStartLocationY",
        "OutputStreamType",
        "OutputStreamBitRate",
        "OutputStreamGop",
        "OutputStreamFrameRate",
        "OutputAudioBitRate",
        "OutputAudioSampleRate",
        "OutputAudioChannels",
        "MixStreamTemplateId",
        "UseMixCropCenter",
        "AllowCopy",
        "PassInputSei",
        "UsePictureTransparent",
    }
)
MAX_DEPTH = 8
MAX_INDEX = 64


def unflatten(items: Iterable[tuple[str, str]], skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Nested objects and lists from flat names; names too deep, oddly indexed or clashing are dropped
    (the request then misses a field and is refused for that, in the API's shape)."""
    root: dict[str, Any] = {}
    for name, value in items:
        if name in skip:
            continue
        parts = name.split(".")
        if len(parts) > MAX_DEPTH or not all(parts):
            continue
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            if parts[-1] not in node:
                node[parts[-1]] = _typed(parts[-1], value)
    return _lists(root)


def _lists(node: Any) -> Any:
    """Objects whose keys are all indexes 0..n-1 become lists."""
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    keys = list(converted)
    if keys and all(k.isascii() and k.isdigit() and int(k) < MAX_INDEX for k in keys):
        indexes = sorted(int(k) for k in keys)
        if indexes == list(range(len(indexes))):
            return [converted[str(i)] for i in indexes]
    return converted


def _typed(name: str, value: str) -> Any:
    if name not in NUMERIC or len(value) > 32:
        return value
    try:
        number = float(value)
    except ValueError:
        return value  # refused by the field's own check, with its code
    return int(number) if number.is_integer() and "." not in value else number
