"""A recording (an MP4 under the data dir) described from its own bytes: streams, codecs, sizes, length."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av


def recording_info(path: str | Path) -> dict[str, Any]:
    """``{"path", "duration", "video": {"codec", "width", "height", "fps", "frames"} | None,
    "audio": {"codec", "sample_rate", "channels", "frames"} | None}`` (frames = packets demuxed)."""
    with av.open(str(path)) as container:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        counts = {"video": 0, "audio": 0}
        last = 0.0
        for packet in container.demux():
            if packet.size == 0 or packet.pts is None:
                continue
            counts[packet.stream.type] = counts.get(packet.stream.type, 0) + 1
            last = max(last, float((packet.pts + (packet.duration or 0)) * packet.time_base))
        return {
            "path": str(path),
            "duration": last,
            "video": None
            if video is None
            else {
                "codec": video.codec_context.name,
                "width": video.codec_context.width,
                "height": video.codec_context.height,
                "fps": float(video.average_rate) if video.average_rate else None,
                "frames": counts["video"],
            },
            "audio": None
            if audio is None
            else {
                "codec": audio.codec_context.name,
                "sample_rate": audio.codec_context.sample_rate,
                "channels": audio.codec_context.layout.nb_channels,
                "frames": counts["audio"],
            },
        }
