"""``mix-emulator push FILE URL``: push a media file to an RTMP URL the way an anchor's app would.

FFmpeg's own RTMP client (through PyAV) sends the file's packets unchanged, paced in real time, looping
until it is stopped (Ctrl-C, or its standard input closing with ``--until-stdin-closes``, which is how
tests end it). Any RTMP server works; the emulator's own is ``rtmp://127.0.0.1:1935/live/<stream_id>``,
with ``?room_id=..&user_id=..`` (ZEGO rooms) or Tencent's ``mixv2=...`` in the query.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import av

PACKET_SLACK_S = 0.04  # a packet's duration where the file does not say
# A server that refuses or cuts the connection before the first packet went out (busy, restarting, its
# slots held by others) is tried again, as an anchor's app does: after 0.5, 1, 2, 4 s.
CONNECT_ATTEMPTS = 5
CONNECT_BACKOFF_S = 0.5


def add_push_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="a media file (MP4, FLV, MKV, TS) with H.264/AAC")
    parser.add_argument("url", help="rtmp://host:port/app/stream_id[?query]")
    parser.add_argument("--once", action="store_true", help="push the file once instead of looping")
    parser.add_argument("--until-stdin-closes", action="store_true", help="stop when standard input closes")


def push(file: Path, url: str, *, loop: bool = True, stop: threading.Event | None = None) -> None:
    """Push until the file ends (``loop`` False) or ``stop`` is set."""
    stop = stop or threading.Event()
    delay, attempt = CONNECT_BACKOFF_S, 1
    while True:
        try:
            _push(file, url, loop=loop, stop=stop)
            return
        except _NotPublishing as refused:
            if attempt == CONNECT_ATTEMPTS or stop.is_set():
                raise refused.error from None
            print(
                f"mix-emulator push: {refused.error}; trying again in {delay:g} s",
                file=sys.stderr,
                flush=True,
            )
            if stop.wait(delay):
                return
            delay, attempt = delay * 2, attempt + 1


class _NotPublishing(Exception):
    """The server refused or cut the connection before the first packet went out."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _push(file: Path, url: str, *, loop: bool, stop: threading.Event) -> None:
    publishing = False  # FFmpeg connects and publishes when the first packet is written
    try:
        with av.open(str(file)) as source, av.open(url, "w", format="flv") as target:
            media = [s for s in source.streams if s.type in ("video", "audio")]
            streams = {s.index: target.add_stream_from_template(s) for s in media}
            started, offset = time.monotonic(), 0.0
            while not stop.is_set():
                source.seek(0)
                end = offset
                for packet in source.demux(*media):
                    if packet.dts is None or stop.is_set():
                        continue
                    at = float(packet.dts * packet.time_base) + offset
                    end = max(end, at + PACKET_SLACK_S)
                    stop.wait(max(0.0, started + at - time.monotonic()))  # real time, as a camera would
                    shift = round(offset / packet.time_base)
                    packet.dts, packet.pts = packet.dts + shift, (packet.pts or packet.dts) + shift
                    packet.stream = streams[packet.stream.index]
                    target.mux(packet)
                    publishing = True
                offset = end
                if not loop:
                    break
    except (OSError, av.FFmpegError) as exc:
        if publishing:
            raise
        raise _NotPublishing(exc) from exc


def run_push(args: argparse.Namespace) -> int:
    stop = threading.Event()
    if args.until_stdin_closes:
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    try:
        push(args.file, args.url, loop=not args.once, stop=stop)
    except KeyboardInterrupt:
        return 0
    except (OSError, av.FFmpegError) as exc:
        print(f"mix-emulator push: {exc}", file=sys.stderr)
        return 1
    return 0
