"""Audio conversion (sample format, layout, rate) through FFmpeg's filter graph, on the caller's thread.

PyAV's ``AudioResampler`` builds the same graph (abuffer -> aformat -> abuffersink, swresample inserted by
FFmpeg) but leaves the graph's thread count at "auto", so every resampler starts a pool of idle threads, one
per core: with a resampler per decoded input and per output, that was 8 of a live task's 15 OS threads.
None of these filters is slice-threaded, so a graph of one thread does the very same work.
"""

from __future__ import annotations

import errno

import av
from av.filter import Graph


class AudioResampler:
    """Frames in any format -> frames in ``format``/``layout``/``rate`` (``frame_size`` samples each when
    set; the tail comes out on ``resample(None)``). Set up by the first frame, which later frames must
    match, as PyAV's own resampler requires."""

    def __init__(self, format: str, layout: str, rate: int, frame_size: int = 0) -> None:
        self._format, self._layout, self._rate, self._frame_size = format, layout, rate, frame_size
        self._graph: Graph | None = None
        self._setup: tuple[str, str, int] | None = None
        self._passthrough = False

    def resample(self, frame: av.AudioFrame | None) -> list[av.AudioFrame]:
        if frame is None:
            return self._pull(None) if self._graph is not None else []
        setup = (frame.format.name, frame.layout.name, frame.sample_rate)
        if self._setup is None:
            self._setup = setup
            self._passthrough = setup == (self._format, self._layout, self._rate) and not self._frame_size
            if not self._passthrough:
                self._graph = self._build(frame)
        elif setup != self._setup:
            raise ValueError(f"audio frame {setup} does not match the resampler's set-up {self._setup}")
        return [frame] if self._passthrough else self._pull(frame)

    def _build(self, frame: av.AudioFrame) -> Graph:
        graph = Graph()
        graph.threads = 1  # before any filter is added: no thread pool
        extra = {"time_base": str(frame.time_base)} if frame.time_base is not None else {}
        source = graph.add(
            "abuffer",
            sample_rate=str(frame.sample_rate),
            sample_fmt=frame.format.name,
            channel_layout=frame.layout.name,
            **extra,
        )
        convert = graph.add(
            "aformat", sample_rates=str(self._rate), sample_fmts=self._format, channel_layouts=self._layout
        )
        sink = graph.add("abuffersink")
        source.link_to(convert)
        convert.link_to(sink)
        graph.configure()
        if self._frame_size:
            graph.set_audio_frame_size(self._frame_size)
        return graph

    def _pull(self, frame: av.AudioFrame | None) -> list[av.AudioFrame]:
        assert self._graph is not None
        self._graph.push(frame)
        out: list[av.AudioFrame] = []
        while True:
            try:
                out.append(self._graph.pull())
            except EOFError:
                return out
            except av.FFmpegError as exc:
                if exc.errno != errno.EAGAIN:
                    raise
                return out
