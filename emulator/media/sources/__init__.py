"""Media sources: one class per kind behind :class:`Source`, opened from a spec string by :func:`open_source`.

=============================  ======================================  =====================
spec                           class                                   decoding
=============================  ======================================  =====================
path, ``file://``              :class:`~.file.FileSource`              worker thread, ahead
looping file, live mixes       :class:`~.shared_file.SharedFile`       one per process
PNG/JPEG path or URL           :class:`~.picture.PictureSource`        once
``pattern:bars|color?...``     :class:`~.pattern.PatternSource`        synthetic
``http(s)://``, ``rtmp://``    :class:`~.network.StreamSource`         background thread
``live:<channel>``             :class:`~.network.StreamSource`         background thread
=============================  ======================================  =====================
"""

from __future__ import annotations

import time
from typing import Any

from emulator.media.errors import MediaError
from emulator.media.sources.base import AudioFormat, ErrorSource, Now, Source, SourceState, SourceStatus
from emulator.media.sources.file import FileSource
from emulator.media.sources.network import JITTER_S, STALL_S, StreamSource, hub_opener, url_opener
from emulator.media.sources.pattern import PatternSource, parse_pattern
from emulator.media.sources.picture import PictureSource
from emulator.media.sources.shared_file import SharedFile
from emulator.media.sources.spec import parse_spec

__all__ = ["AudioFormat", "Source", "SourceState", "SourceStatus", "open_source"]


def open_source(
    spec: str,
    *,
    loop: bool = False,
    hub: Any = None,
    audio: AudioFormat = AudioFormat(),  # noqa: B008 - frozen, shared safely
    now: Now = time.time,
    stall_timeout: float = STALL_S,
    jitter: float = JITTER_S,
    share: bool = False,
) -> Source:
    """Open any source spec. Never raises: a spec that cannot be opened gives a source in state "error"
    whose status says why. ``hub`` (the LiveHub) is needed for ``live:`` specs; ``now`` stamps state
    changes (pass the emulator clock); ``stall_timeout``: seconds without data before a network input is
    "lost"; ``jitter``: the jitter buffer of live network inputs, seconds; ``share``: a looping file joins the
    decoder other live mixes of this process already run for it (shared_file.py)."""
    parsed = parse_spec(spec)
    try:
        if parsed.kind == "file":
            if share and loop:
                return SharedFile.view(spec, parsed.target, audio=audio, now=now)
            return FileSource(spec, parsed.target, loop=loop, audio=audio, now=now)
        if parsed.kind == "picture":
            return PictureSource(spec, parsed.target, remote=parsed.remote, now=now)
        if parsed.kind == "pattern":
            return PatternSource(spec, parse_pattern(parsed.target, parsed.params), audio, now=now)
        if parsed.kind in ("network", "live"):
            if parsed.kind == "network":
                live = parsed.target.lower().startswith("rtmp")
                opener = url_opener(parsed.target)
                key = (None, spec) if live else None  # a live pull is decoded once; a file over HTTP per mix
            else:
                if hub is None:
                    raise MediaError(f"{spec}: live channels need the emulator's live hub")
                live, opener = True, hub_opener(hub, parsed.target)
                key = (id(hub), spec)  # every mix of this process showing the channel shares its decoder
            return StreamSource(
                spec,
                opener,
                live=live,
                audio=audio,
                now=now,
                stall_timeout=stall_timeout,
                jitter=jitter,
                share_key=key,
            )
        return ErrorSource(spec, parsed.target, now=now)
    except MediaError as exc:
        return ErrorSource(spec, str(exc), now=now)
