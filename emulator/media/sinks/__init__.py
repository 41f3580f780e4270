"""Where an output's encoded packets go: recording, HLS, the LiveHub and rtmp pushes, each on its own thread.

:func:`standard_sinks` is the set a running task gets; the offline render builds its own (one plain MP4).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from emulator.media.encoder import OutputEncoder
from emulator.media.sinks.base import Sink
from emulator.media.sinks.files import HlsSink, Mp4Sink, end_playlist, hls_dir, recording_path, safe_name
from emulator.media.sinks.network import Hub, LiveSink, PushCheck, PushSink

if TYPE_CHECKING:
    from emulator.media.hls_demand import HlsDemand

HLS_QUEUE = 600
LOSSLESS_WAIT_S = 10.0  # fast mode: how long a file sink may hold the pipeline up before it drops

__all__ = [
    "HlsSink",
    "Hub",
    "LiveSink",
    "Mp4Sink",
    "PushCheck",
    "PushSink",
    "Sink",
    "end_playlist",
    "hls_dir",
    "recording_path",
    "safe_name",
    "standard_sinks",
]


def standard_sinks(
    encoder: OutputEncoder,
    *,
    data_dir: Path,
    task_id: str,
    hub: Hub | None,
    lossless: bool = False,
    keep_hls: bool = True,
    push_check: PushCheck | None = None,
    hls_demand: HlsDemand | None = None,
) -> list[Sink]:
    """Recording (if the output asks for one), HLS, the live channel ``mix:<stream id>`` and every push.
    ``lossless`` (fast mode): the files throttle the pipeline rather than drop; network sinks never do.
    ``keep_hls`` False: the HLS folder is removed when the output stops (recordings always stay).
    ``push_check`` says why a push URL must not be tried (the outbound allow-list), or None.
    ``hls_demand``: HLS is written only while players ask for it (None: always)."""
    output, templates = encoder.output, encoder.templates
    wait = LOSSLESS_WAIT_S if lossless else 0.0
    sinks: list[Sink] = []
    if output.record:
        sinks.append(Mp4Sink(templates, recording_path(data_dir, task_id, output.stream_id), wait_s=wait))
    # An RTMP push of this id (Tencent output_stream_type 0) keeps its HLS writer, which carries the mix into
    # the same playlist after a discontinuity (media/ingest_hls.py).
    if hub is None or not hub.exists(output.stream_id):
        folder = hls_dir(data_dir, output.stream_id)
        wanted = hls_demand.watcher(folder.name) if hls_demand is not None else None  # as routes name it
        sinks.append(
            HlsSink(
                templates,
                folder,
                queue_size=HLS_QUEUE,
                wait_s=wait,
                remove_on_close=not keep_hls,
                wanted=wanted,
                on_start=encoder.request_keyframe,
            )
        )
    if hub is not None:
        sinks.append(LiveSink(templates, hub, f"mix:{output.stream_id}"))
    sinks += [PushSink(templates, url, push_check and push_check(url)) for url in output.push_urls]
    return sinks
