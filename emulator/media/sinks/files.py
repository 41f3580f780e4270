"""Sinks that write files: the crash-safe MP4 recording, the HLS playlist, and a plain MP4 (offline render).

Layout under the data dir (docs/internals.md): ``recordings/<task slug>/<stream id>.mp4`` and
``hls/<stream id>/index.m3u8`` with its segments. Names taken from requests are made safe for paths with
:func:`safe_name` (the HTTP server that serves HLS must use :func:`hls_dir` too).
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
from av.container import OutputContainer

from emulator.media.encoder import Kind
from emulator.media.sinks.base import Sink

RECORDING_QUEUE = 2000  # packets: ~20 s of 30 fps video plus audio, so a slow disk rarely drops anything
HLS_SEGMENT_S = 1  # segments end at the first keyframe after this, so they last max(1 s, GOP)
HLS_LIST_SIZE = 6  # segments kept in the playlist (older ones are deleted)
HLS_PLAYLIST = "index.m3u8"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """A file-name-safe version of an id: anything but letters, digits, ``._-`` becomes ``_``."""
    cleaned = _UNSAFE.sub("_", name).strip(".")
    return cleaned or "_"


def hls_dir(data_dir: Path, stream_id: str) -> Path:
    return data_dir / "hls" / safe_name(stream_id)


def recording_path(data_dir: Path, task_id: str, stream_id: str) -> Path:
    """Where a task's output is recorded; a second recording of the same task and stream gets ``-2`` ..."""
    folder = data_dir / "recordings" / safe_name(task_id)
    path = folder / f"{safe_name(stream_id)}.mp4"
    number = 2
    while path.exists():
        path = folder / f"{safe_name(stream_id)}-{number}.mp4"
        number += 1
    return path


class Mp4Sink(Sink):
    """An MP4 file. Fragmented (``fragmented=True``): a moof+mdat goes to disk at every keyframe and at least
    once a second, so a process killed with SIGKILL leaves a file playable up to the last fragment.
    Otherwise a normal MP4 with the index moved to the front (faststart) when it is closed."""

    def __init__(
        self,
        templates: dict[Kind, av.stream.Stream],
        path: Path,
        *,
        fragmented: bool = True,
        queue_size: int = RECORDING_QUEUE,
        wait_s: float = 0.0,
    ) -> None:
        super().__init__(templates, queue_size=queue_size, wait_s=wait_s)
        self.path = path
        self.kind = "recording" if fragmented else "mp4"
        if fragmented:
            self._options = {
                "movflags": "frag_keyframe+empty_moov+default_base_moof",
                "frag_duration": "1000000",  # microseconds: long GOPs still reach the disk every second
                "flush_packets": "1",  # each finished fragment leaves the I/O buffer at once
            }
        else:
            self._options = {"movflags": "faststart"}

    def describe(self) -> dict[str, Any]:
        return {"path": str(self.path)}

    def _open(self) -> OutputContainer:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return av.open(str(self.path), "w", format="mp4", options=self._options)


class HlsSink(Sink):
    """A live HLS playlist of MPEG-TS segments: short segments, a bounded playlist, old segments deleted,
    and EXT-X-ENDLIST written when the output stops. Segments and playlist are written to a temporary name
    and renamed, so a player never reads half a file. ``remove_on_close``: the folder goes when the output
    stops (a task's live HLS), unless another sink of the same stream id has taken it over meanwhile."""

    kind = "hls"

    def __init__(
        self,
        templates: dict[Kind, av.stream.Stream],
        folder: Path,
        *,
        queue_size: int,
        wait_s: float = 0.0,
        remove_on_close: bool = False,
        continued: bool = False,
        wanted: Callable[[], bool] | None = None,
        on_start: Callable[[], None] | None = None,
    ) -> None:
        """``continued``: a part of a longer playlist (media/ingest_hls.py): it appends to the playlist in
        the folder after an EXT-X-DISCONTINUITY, and leaves EXT-X-ENDLIST to :func:`end_playlist`.
        ``on_start``: called when ``wanted`` turns True (the encoder makes a keyframe: the first segment
        starts at once, not up to a GOP later)."""
        super().__init__(templates, queue_size=queue_size, wait_s=wait_s)
        self.folder = folder
        self.playlist = folder / HLS_PLAYLIST
        self._remove_on_close = remove_on_close
        self._continued = continued
        self._wanted = wanted
        self._on_start = on_start
        self._writing = wanted is None  # producer side: packets go to the muxer (a rest is asked when not)
        if wanted is not None:
            self.state = "idle"  # until someone plays it

    def _admit(self) -> bool:
        if self._wanted is None:
            return True
        if not self._wanted():
            if self._writing and self.rest():  # full queue: asked again with the next packets
                self._writing = False
            return False
        if not self._writing and self._on_start is not None:
            self._on_start()
        self._writing = True
        return True

    def describe(self) -> dict[str, Any]:
        return {"path": str(self.playlist)}

    def _open(self) -> OutputContainer:
        flags = "delete_segments+independent_segments+temp_file"
        with _hls_owners_lock:
            _hls_owners[self.folder] = self
            if self._continued:
                # FFmpeg reads the playlist back, numbers on and marks the break (it drops an ENDLIST there).
                flags += "+omit_endlist" + ("+append_list+discont_start" if self.playlist.exists() else "")
            else:
                # A previous run of the same stream id must not leave its segments in the new playlist.
                shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True, exist_ok=True)
        options = {
            "hls_time": str(HLS_SEGMENT_S),
            "hls_list_size": str(HLS_LIST_SIZE),
            "hls_flags": flags,
            "hls_segment_filename": str(self.folder / "segment_%05d.ts"),
        }
        return av.open(str(self.playlist), "w", format="hls", options=options)

    def _closed(self, container: OutputContainer) -> None:
        with _hls_owners_lock:
            if _hls_owners.get(self.folder) is not self:
                return  # a newer output of the same stream id writes here now
            del _hls_owners[self.folder]
            # Resting (nobody plays it): an ended playlist left here would be served to the next player.
            if self._remove_on_close or self.state == "idle":
                shutil.rmtree(self.folder, ignore_errors=True)


# The sink writing each HLS folder now: a stopping output removes its folder only while it is still its own.
_hls_owners: dict[Path, HlsSink] = {}
_hls_owners_lock = threading.Lock()


def end_playlist(playlist: Path) -> None:
    """Add EXT-X-ENDLIST to a playlist written in parts (``continued`` HlsSinks), atomically."""
    try:
        text = playlist.read_text()
    except OSError:
        return
    if "#EXT-X-ENDLIST" not in text:
        partial = playlist.with_name(f".{playlist.name}.end")
        partial.write_text(text.rstrip("\n") + "\n#EXT-X-ENDLIST\n")
        partial.replace(playlist)
