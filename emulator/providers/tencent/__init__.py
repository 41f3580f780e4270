"""Tencent Cloud Live stream mixing: the legacy CGI ``Mix_StreamV2`` (seed 000) and Cloud API 3.0.

``create(ctx)`` makes the adapter the server mounts; ``translate(body, stream_info)`` turns a saved start
request into a MixJob offline (``mix-emulator render REQUEST.json --provider tencent --stream ID=SOURCE``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.context import EmulatorContext
from emulator.core.job import MixJob
from emulator.core.streams import MediaInfo
from emulator.providers.tencent import params
from emulator.providers.tencent.errors import TencentError
from emulator.providers.tencent.layout import SourceFacts, build_job
from emulator.providers.tencent.params import InputSpec
from emulator.providers.tencent.provider import TencentProvider

__all__ = ["TencentProvider", "create", "translate"]


def create(ctx: EmulatorContext) -> TencentProvider:
    return TencentProvider(ctx)


def translate(body: dict[str, Any], stream_info: Callable[[str], MediaInfo | None] | None = None) -> MixJob:
    """A start request (the whole CGI body, or just its ``para``) -> MixJob; ValueError when it is bad.

    ``stream_info(id)`` gives a stream's probed size: the canvas is the background stream's size, so
    without it only requests that set the size (a canvas, or the background's image_width/height) translate.

    Offline there is no picture registry: a picture input (input_type 2) is read from the stream named by
    its ``input_stream_id``, like any other input (``--stream picture=logo.png``).
    """
    if not isinstance(body, dict):
        raise ValueError("the request must be a JSON object")
    para = body.get("interface", {}).get("para") if isinstance(body.get("interface"), dict) else body
    if not isinstance(para, dict):
        raise ValueError("interface.para must be an object")

    def facts(spec: InputSpec) -> SourceFacts:
        info = None if stream_info is None else stream_info(spec.stream_id)
        source = f"stream:{spec.stream_id}"
        return SourceFacts(source) if info is None else SourceFacts(source, info.width, info.height, info.fps)

    try:
        return build_job(params.parse_start(para), facts)
    except TencentError as exc:
        raise ValueError(f"code {exc.code}: {exc.message}") from None
