"""ZEGO: the rtc-api mixing actions (StartMix, StopMix, StartAutoMix, StopAutoMix, GetMixTaskInfo on
``/?Action=``) and the legacy web API (``/cgi/token``, ``/cgi/start-mix``, ``/cgi/stop-mix``).

``create(ctx)`` makes the adapter; ``translate(body, stream_info)`` turns a saved StartMix body (or a legacy
start-mix body) into a MixJob for ``mix-emulator render``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.context import EmulatorContext
from emulator.core.job import MixJob
from emulator.core.streams import MediaInfo
from emulator.providers.zego.errors import MIX_BASE, ZegoError
from emulator.providers.zego.parse_legacy import parse_legacy_start
from emulator.providers.zego.parse_rtc import parse_start_mix
from emulator.providers.zego.provider import ZegoProvider
from emulator.providers.zego.translate import mix_job

__all__ = ["ZegoProvider", "create", "translate"]


def create(ctx: EmulatorContext) -> ZegoProvider:
    return ZegoProvider(ctx)


def translate(body: dict[str, Any], stream_info: Callable[[str], MediaInfo | None] | None = None) -> MixJob:
    """A StartMix body (``TaskId``, ``MixInput[].StreamId``...) or a legacy start-mix body (``id_name``,
    ``MixInput[].stream_id``...) -> MixJob; ValueError naming ZEGO's code and the problem. ``stream_info``
    says which stream ids are published (a StreamUrl ending in one reads it); None = none are."""
    try:
        spec = parse_legacy_start(body).spec if _is_legacy(body) else parse_start_mix(body)
    except ZegoError as error:
        raise ValueError(f"ZEGO {MIX_BASE + error.number}: {error.message}") from None
    return mix_job(spec, stream_info or (lambda _: None))


def _is_legacy(body: Any) -> bool:
    return isinstance(body, dict) and "id_name" in body
