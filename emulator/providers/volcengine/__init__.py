"""Volcengine Live cloud mixing (API 2023-01-01): Create, Update, Delete, List and GetDetail of mix tasks.

``create(ctx)`` gives the provider adapter; ``translate(body, stream_info)`` turns a saved Create request
into a MixJob offline (``mix-emulator render``), a live Url naming a known stream id resolving to it.
Modules: gateway (action + signature check), signing (SigV4), ratelimit, schema (parse + validate),
mixjob (-> MixJob), sessions (task state), actions (the five actions), callbacks (status callback),
envelope (response shape), errors (codes), control (``/_emulator/volcengine/...``), provider (routing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from emulator.core.job import MixJob
from emulator.core.streams import MediaInfo
from emulator.providers.volcengine import schema
from emulator.providers.volcengine.errors import VolcError
from emulator.providers.volcengine.mixjob import build_job, offline_live_resolver

if TYPE_CHECKING:
    from emulator.context import EmulatorContext
    from emulator.providers.volcengine.provider import VolcengineProvider

OFFLINE_TASK_ID = "render"


def create(ctx: EmulatorContext) -> VolcengineProvider:
    from emulator.providers.volcengine.provider import VolcengineProvider

    return VolcengineProvider(ctx)


def translate(body: dict[str, Any], stream_info: Callable[[str], MediaInfo | None] | None = None) -> MixJob:
    """A CreateCloudMixTask body (``Name`` optional here) as a MixJob whose output stream id is ``render``;
    raises ValueError naming the field that is wrong. A live Url naming a stream ``stream_info`` knows (or a
    bare id) becomes ``stream:<id>``."""
    try:
        rules = schema.parse_rules(body)
    except VolcError as exc:
        raise ValueError(f"{exc.code}: {exc.message}") from None
    live = offline_live_resolver(
        lambda stream_id: stream_info is not None and stream_info(stream_id) is not None
    )
    return build_job(rules, task_id=OFFLINE_TASK_ID, live=live)
