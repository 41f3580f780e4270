"""Benchmark: what SEI costs per frame, and the 2x2 composite in H.265 against the FFmpeg command line.

    python -m bench.codecs [--seconds 10] [--size 1280x720] [--fps 30] [--repeat 3]

(1) SEI: real 720p access units (x264 veryfast and x265 at the emulator's preset, 2 Mb/s) get the messages a
    ZEGO mix sends every frame (64 bytes of UserData and the sound levels of four inputs) inserted with
    media/sei.py, as the pipeline does once per output frame; the table gives microseconds per frame for
    building the messages, inserting them and reading them back, beside each encoder's own time per frame.
(2) H.265 composite: bench/composite.py's job (four inputs in a 2x2 grid, 2 Mb/s, 2 s GOP, AAC) encoded with
    libx265 at the emulator's preset (media/encoder.py X265_PRESET), timed in process (bench/in_process.py)
    against ``ffmpeg`` with the same filter graph and ``-c:v libx265 -preset <same>`` and the same x265
    parameters; each side runs ``--repeat`` times, the order rotating, and the medians and the median
    per-round ratio are printed.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import time
from fractions import Fraction
from pathlib import Path

import av
from av.codec.context import Flags

from bench.composite import (
    FFMPEG,
    GOP_SECONDS,
    IN_PROCESS,
    OUT,
    VIDEO_BITRATE,
    grid_job,
    make_inputs,
    rotated,
    run_ffmpeg,
    run_in_process,
    table,
)
from emulator.core.job import SeiSpec
from emulator.media.encoder import X265_PRESET
from emulator.media.sei import insert_sei, read_sei
from emulator.media.sei_feed import frame_messages

X265_PARAMS = "scenecut=0:log-level=error"  # as media/encoder.py sets them
SEI_FRAMES = 120


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.codecs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    size = tuple(int(v) for v in args.size.split("x"))
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    print(f"\nSEI per frame, {size[0]}x{size[1]}, {SEI_FRAMES} frames (microseconds)")
    print(f"{'encoder':<22}{'encode':>10}{'messages':>10}{'insert':>10}{'read':>10}{'insert/encode':>15}")
    for encoder, codec in (("libx264", "h264"), ("libx265", "hevc")):
        row = sei_costs(encoder, codec, size)  # type: ignore[arg-type]
        share = row["insert"] / row["encode"] * 100
        print(
            f"{encoder:<22}{row['encode']:>10.0f}{row['messages']:>10.1f}{row['insert']:>10.1f}"
            f"{row['read']:>10.1f}{share:>14.3f}%"
        )

    inputs = make_inputs(out, size, args.fps, args.seconds)  # type: ignore[arg-type]
    job = grid_job(len(inputs), size, args.fps)  # type: ignore[arg-type]
    for output in job.outputs:
        assert output.video is not None
        output.video.codec = "h265"
    request = out / "job_h265.json"
    request.write_text(json.dumps(job.to_dict()))
    encoder = ["-c:v", "libx265", "-preset", X265_PRESET, "-x265-params", X265_PARAMS]
    sides = {
        IN_PROCESS: lambda: run_in_process(out, request, inputs),
        FFMPEG: lambda: run_ffmpeg(out, inputs, size, args.fps, encoder=encoder, name="ffmpeg_h265"),  # type: ignore[arg-type]
    }
    load = os.getloadavg()[0]
    runs = rotated(sides, args.repeat)
    print(
        f"\n2x2 composite in H.265, {size[0]}x{size[1]} {args.fps} fps, {args.seconds:g} s inputs, "
        f"x265 {X265_PRESET}, {VIDEO_BITRATE // 1000} kb/s, GOP {GOP_SECONDS:g} s "
        f"(load {load:.2f} before, {os.getloadavg()[0]:.2f} after)"
    )
    print(h265_table(runs))
    return 0


def h265_table(runs: dict) -> str:
    """composite.table() without the render-command row (this bench runs the in-process side only)."""
    lines = table({**runs, "render command": runs[IN_PROCESS]}).splitlines()
    return "\n".join(line for line in lines if not line.startswith("render command"))


def sei_costs(encoder: str, codec: str, size: tuple[int, int]) -> dict[str, float]:
    """Microseconds per frame: encoding (the mean: x265's lookahead makes single calls meaningless), and the
    medians of building the frame's messages, inserting them and reading them back."""
    holder = av.open(os.devnull, "w", format="null")
    stream = holder.add_stream(encoder, rate=30)
    ctx = stream.codec_context
    ctx.width, ctx.height, ctx.pix_fmt, ctx.time_base = *size, "yuv420p", Fraction(1, 30)
    ctx.bit_rate = VIDEO_BITRATE
    ctx.flags |= Flags.global_header
    ctx.options = (
        {"preset": X265_PRESET, "x265-params": X265_PARAMS}
        if encoder == "libx265"
        else {"preset": "veryfast", "tune": "zerolatency"}
    )
    holder.start_encoding()
    source = av.open(f"testsrc2=size={size[0]}x{size[1]}:rate=30", format="lavfi")
    user_data = base64.b64encode(bytes(range(64))).decode()
    spec = SeiSpec(user_data=user_data, sound_levels={f"in{i}": i for i in range(4)})
    levels = {f"in{i}": 10.0 * i for i in range(4)}
    build: list[float] = []
    insert: list[float] = []
    read: list[float] = []
    packets: list[bytes] = []
    encoding = 0.0
    try:
        for n, frame in enumerate(source.decode(video=0)):
            if n >= SEI_FRAMES:
                break
            frame = frame.reformat(format="yuv420p")
            frame.pts, frame.time_base = n, ctx.time_base
            started = time.perf_counter()
            packets += [bytes(p) for p in ctx.encode(frame)]
            encoding += time.perf_counter() - started
        started = time.perf_counter()
        packets += [bytes(p) for p in ctx.encode(None)]
        encoding += time.perf_counter() - started
    finally:
        source.close()
        holder.close()
    for data in packets:
        started = time.perf_counter()
        messages = frame_messages(spec, levels)
        built = time.perf_counter()
        with_sei = insert_sei(data, messages, codec)  # type: ignore[arg-type]
        inserted = time.perf_counter()
        read_sei(with_sei, codec)  # type: ignore[arg-type]
        done = time.perf_counter()
        build.append(built - started)
        insert.append(inserted - built)
        read.append(done - inserted)
    micro = 1e6
    return {
        "encode": encoding / len(packets) * micro,
        "messages": statistics.median(build) * micro,
        "insert": statistics.median(insert) * micro,
        "read": statistics.median(read) * micro,
    }


if __name__ == "__main__":
    raise SystemExit(main())
