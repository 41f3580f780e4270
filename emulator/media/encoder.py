"""Encoding of one mix output: composed canvas frames -> H.264 (libx264) or H.265 (libx265), mixed audio ->
AAC, MP3 (libmp3lame) or Opus (libopus), as the output's specs ask (:data:`VIDEO_ENCODERS`,
:data:`AUDIO_ENCODERS`). HE-AAC has no encoder in the bundled FFmpeg: it is encoded as AAC-LC, and
:attr:`OutputEncoder.codecs` says so.

An :class:`OutputEncoder` is created per :class:`~emulator.core.job.Output`. It encodes once; the packets it
returns (:class:`EncodedPacket`, plain immutable data safe to hand to other threads) are muxed by every sink
of that output. Sinks build their container streams from :attr:`OutputEncoder.templates`: streams of a
private ``null`` container that carry the opened encoders' parameters (size, extradata = SPS/PPS and
AudioSpecificConfig), so no sink ever opens an encoder of its own.

Timestamps: video pts is the output frame index (time base 1/fps), audio pts the count of samples sent
(time base 1/rate). Both only ever grow, whatever happens to the layout, so a live layout update never makes
a timestamp jump.

Sizes: H.264 in yuv420p needs even dimensions. :func:`even_size` rounds each side *down* to even, within
2..MAX_SIDE; the compositor sizes the canvas with it too, so an odd request such as 321x241 becomes 320x240
and an output the size of the canvas is never scaled.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import av
from av.codec.context import Flags
from av.container import OutputContainer
from av.video.frame import PictureType
from av.video.reformatter import VideoReformatter

from emulator.core.job import AudioSpec, Output, VideoSpec
from emulator.media.errors import MediaError
from emulator.media.placement import SCALER_THREADS
from emulator.media.resample import AudioResampler

Kind = Literal["video", "audio"]
AAC_FRAME_SAMPLES = 1024  # the AAC encoder takes exactly this many samples per frame
# Requested codec -> (FFmpeg encoder, the codec name players see).
VIDEO_ENCODERS = {"h264": ("libx264", "h264"), "h265": ("libx265", "hevc"), "hevc": ("libx265", "hevc")}
# Requested codec -> (encoder, name players see, sample format, samples per frame); "he-aac" falls back to LC.
AUDIO_ENCODERS = {
    "aac": ("aac", "aac", "fltp", AAC_FRAME_SAMPLES),
    "he-aac": ("aac", "aac", "fltp", AAC_FRAME_SAMPLES),
    "mp3": ("libmp3lame", "mp3", "fltp", 1152),
    "opus": ("libopus", "opus", "flt", 960),  # 20 ms at 48 kHz
}
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
# x265 is several times slower than x264 at the same preset: the emulator runs it at its fastest so an H.265
# output keeps up in realtime on a small machine (bench/codecs.py measures it).
X265_PRESET = "ultrafast"
MAX_SIDE = 8192  # larger sides are clamped: a typo in a request must not allocate gigabytes


REALTIME_X264_THREADS = 1  # realtime: x264 encodes on the encoding thread itself (see _add_video)


@dataclass(frozen=True, slots=True)
class EncodedPacket:
    """One encoded packet, detached from FFmpeg so several sink threads can mux copies of it."""

    kind: Kind
    data: bytes
    pts: int | None
    dts: int | None
    duration: int
    time_base: Fraction
    keyframe: bool

    @property
    def seconds(self) -> float:
        """Decode time (or presentation time when the encoder gave no dts) in seconds."""
        stamp = self.dts if self.dts is not None else self.pts
        return float((stamp or 0) * self.time_base)


def even_size(width: int, height: int) -> tuple[int, int]:
    """A frame size H.264 4:2:0 can encode: each side rounded down to even, within 2..MAX_SIDE."""
    return _even_side(width), _even_side(height)


def _even_side(side: int) -> int:
    return min(max(2, int(side) // 2 * 2), MAX_SIDE)


def fps_fraction(fps: float) -> Fraction:
    """A frame rate as an exact fraction: 25 -> 25/1, 29.97 -> 30000/1001 (NTSC), 12.5 -> 25/2."""
    if not 0 < fps <= 240:
        raise MediaError(f"output fps must be in (0, 240], got {fps}")
    for rate in (Fraction(round(fps)), Fraction(round(fps * 1.001) * 1000, 1001)):
        if rate and abs(rate - Fraction(fps)) < 0.005:
            return rate
    return Fraction(fps).limit_denominator(1000)


class OutputEncoder:
    """H.264 + AAC encoders for one Output. Not thread-safe: one thread (the pipeline's encoding thread)
    drives it; sinks only read :attr:`templates` when they open a container."""

    def __init__(self, output: Output, canvas_size: tuple[int, int], *, realtime: bool) -> None:
        if output.video is None and output.audio is None:
            raise MediaError(f"output {output.stream_id}: neither video nor audio requested")
        self.output = output
        # A private muxer that never writes: it only holds the encoders and their stream parameters.
        self._holder: OutputContainer | None = av.open(os.devnull, "w", format="null")
        self._video: av.VideoStream | None = None
        self._audio: av.AudioStream | None = None
        self._reformatter: VideoReformatter | None = VideoReformatter()
        self._resampler: AudioResampler | None = None
        self._next_frame = 0
        self._audio_samples = 0
        self._keyframe_due = False
        try:
            if output.video is not None:
                self._video = self._add_video(output.video, canvas_size, realtime)
            if output.audio is not None:
                self._audio = self._add_audio(output.audio)
            self._holder.start_encoding()  # opens the encoders: extradata and parameters are known now
            # Per frame, as a float: Fraction arithmetic on every tick costs more than the comparison.
            self._fps = None if self._video is None else float(1 / self._video.codec_context.time_base)
            # Kept as plain data: the status reads it after close() has dropped the encoders.
            self.codecs = self._actual_codecs()
        except MediaError:
            self._holder.close()
            raise
        except (av.FFmpegError, ValueError, TypeError) as exc:
            self._holder.close()
            raise MediaError(f"output {output.stream_id}: cannot open the encoder: {exc}") from exc

    # ----- set-up
    def _add_video(self, spec: VideoSpec, canvas_size: tuple[int, int], realtime: bool) -> av.VideoStream:
        width, height = even_size(spec.width or canvas_size[0], spec.height or canvas_size[1])
        rate = fps_fraction(spec.fps)
        encoder, _ = VIDEO_ENCODERS.get(spec.codec, VIDEO_ENCODERS["h264"])
        stream = self._holder.add_stream(encoder, rate=rate)
        ctx = stream.codec_context
        ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
        ctx.time_base = 1 / rate
        ctx.gop_size = max(1, round(spec.gop_seconds * float(rate)))
        # Global header: SPS/PPS go to extradata (MP4 avcC, FLV sequence header); the TS muxer of HLS
        # re-inserts them before every keyframe by itself.
        ctx.flags |= Flags.global_header
        if encoder == "libx265":
            # no scene-cut keyframes (the keyframe interval is exactly the GOP), no banner on stderr
            options = {"preset": X265_PRESET, "x265-params": "scenecut=0:log-level=error"}
        else:
            options = {
                "preset": spec.preset,
                "sc_threshold": "0",  # no scene-cut keyframes: the keyframe interval is exactly the GOP
            }
        if realtime:
            options["tune"] = "zerolatency"  # no B-frames and no lookahead: frames leave at once
            # One encoding thread: live mixes run many at once (each worker hosts many), so x264's own
            # slice threads only added switches and 3 threads per task; a live frame is due every 33-67 ms.
            ctx.thread_count = REALTIME_X264_THREADS
        else:
            ctx.thread_type = "FRAME"  # x264 frame threads: more throughput than PyAV's default slices
        if spec.bitrate is not None:
            ctx.bit_rate = int(spec.bitrate)
            options["maxrate"] = str(int(spec.bitrate))
            options["bufsize"] = str(int(spec.bitrate))  # a one-second VBV: close to constant bitrate
        else:
            options["crf"] = str(23 if spec.crf is None else spec.crf)
        ctx.options = options
        return stream

    def _add_audio(self, spec: AudioSpec) -> av.AudioStream:
        if spec.channels not in (1, 2):
            raise MediaError(f"output {self.output.stream_id}: audio channels must be 1 or 2")
        encoder, _, sample_format, frame_samples = AUDIO_ENCODERS.get(spec.codec, AUDIO_ENCODERS["aac"])
        rate = int(spec.sample_rate)
        if encoder == "libopus" and rate not in OPUS_RATES:
            rate = 48000  # Opus knows no 44.1 kHz
        stream = self._holder.add_stream(encoder, rate=rate)
        ctx = stream.codec_context
        ctx.layout = "mono" if spec.channels == 1 else "stereo"
        ctx.format = sample_format
        ctx.time_base = Fraction(1, rate)
        ctx.bit_rate = int(spec.bitrate)
        ctx.flags |= Flags.global_header
        if encoder == "libopus":
            frame_samples = rate // 50  # 20 ms frames at any Opus rate
        layout = ctx.layout.name
        self._resampler = AudioResampler(sample_format, layout, rate, frame_size=frame_samples)
        return stream

    # ----- what sinks and the pipeline read
    @property
    def templates(self) -> dict[Kind, av.stream.Stream]:
        """Streams to copy into a sink's container (``add_stream_from_template``), by kind."""
        found: dict[Kind, av.stream.Stream] = {}
        if self._video is not None:
            found["video"] = self._video
        if self._audio is not None:
            found["audio"] = self._audio
        return found

    def _actual_codecs(self) -> dict[str, str | None]:
        """The codecs this output actually carries (names as players report them), and what was asked for
        when that differs (HE-AAC is encoded as AAC-LC; an unknown video codec as H.264)."""
        spec = self.output
        found: dict[str, str | None] = {
            "video": None if self._video is None else self._video.codec_context.codec.canonical_name,
            "audio": None if self._audio is None else self._audio.codec_context.codec.canonical_name,
        }
        if spec.video is not None and VIDEO_ENCODERS.get(spec.video.codec, ("", ""))[1] != found["video"]:
            found["video_requested"] = spec.video.codec
        if spec.audio is not None and spec.audio.codec != found["audio"]:
            found["audio_requested"] = spec.audio.codec
        return found

    @property
    def video_size(self) -> tuple[int, int] | None:
        if self._video is None:
            return None
        return self._video.codec_context.width, self._video.codec_context.height

    @property
    def fps(self) -> Fraction | None:
        return None if self._video is None else 1 / self._video.codec_context.time_base

    @property
    def frames_encoded(self) -> int:
        return self._next_frame

    def video_due(self, t: float) -> bool:
        """Whether this output's next frame is due at media time ``t`` (outputs may differ in fps)."""
        return self._fps is not None and self._next_frame <= t * self._fps + 1e-6

    # ----- encoding
    def request_keyframe(self) -> None:
        """Make the next video frame a keyframe (a sink written on demand starts: its player need not wait
        for the GOP). Any thread: a flag the encoding thread reads."""
        self._keyframe_due = True

    def encode_video(self, frame: av.VideoFrame) -> list[EncodedPacket]:
        """Encode the canvas frame as this output's next frame, scaled to the output size if needed."""
        if self._video is None:
            return []
        ctx = self._video.codec_context
        if (frame.width, frame.height, frame.format.name) != (ctx.width, ctx.height, "yuv420p"):
            size = (ctx.width, ctx.height)
            frame = self._reformatter.reformat(frame, *size, "yuv420p", threads=SCALER_THREADS)
        frame.pts = self._next_frame
        frame.time_base = ctx.time_base
        self._next_frame += 1
        if not self._keyframe_due:
            return self._detach("video", ctx.encode(frame))
        self._keyframe_due = False
        frame.pict_type = PictureType.I
        try:
            return self._detach("video", ctx.encode(frame))
        finally:
            frame.pict_type = PictureType.NONE  # the canvas frame may be encoded again (a freeze)

    def encode_audio(self, frame: av.AudioFrame) -> list[EncodedPacket]:
        """Encode mixed audio (any format, rate or layout: it is resampled to the output's)."""
        if self._audio is None or self._resampler is None:
            return []
        frame.pts = None  # the resampler need not follow the mixer's stamps: ours are sample counts
        return self._encode_resampled(self._resampler.resample(frame))

    def flush(self) -> list[EncodedPacket]:
        """Drain the encoders (end of stream); the encoder is not usable afterwards."""
        packets: list[EncodedPacket] = []
        if self._audio is not None and self._resampler is not None:
            packets += self._encode_resampled(self._resampler.resample(None))
            packets += self._detach("audio", self._audio.codec_context.encode(None))
        if self._video is not None:
            packets += self._detach("video", self._video.codec_context.encode(None))
        return packets

    def close(self) -> None:
        """Close the encoders and drop every FFmpeg object at once (x264's threads end with its context), so
        nothing waits for the garbage collector; idempotent."""
        holder, self._holder = self._holder, None
        if holder is not None:
            holder.close()
        self._video = self._audio = self._resampler = self._reformatter = None

    def _encode_resampled(self, frames: list[av.AudioFrame]) -> list[EncodedPacket]:
        assert self._audio is not None
        ctx = self._audio.codec_context
        packets: list[EncodedPacket] = []
        for frame in frames:
            frame.pts = self._audio_samples
            frame.time_base = ctx.time_base
            self._audio_samples += frame.samples
            packets += self._detach("audio", ctx.encode(frame))
        return packets

    @staticmethod
    def _detach(kind: Kind, packets: list[av.Packet]) -> list[EncodedPacket]:
        return [
            EncodedPacket(
                kind=kind,
                data=bytes(p),
                pts=p.pts,
                dts=p.dts,
                # x264 leaves durations unset; a video packet lasts one frame (time base 1/fps).
                duration=p.duration or (1 if kind == "video" else 0),
                time_base=p.time_base,
                keyframe=p.is_keyframe,
            )
            for p in packets
        ]
