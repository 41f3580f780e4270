"""Command line: ``mix-emulator serve`` (the server) and ``mix-emulator render`` (an offline mix)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import NoReturn

from emulator import __version__

# asyncio, logging, signal and the settings are imported by the serve path only: ``render`` starts faster.

SERVE_HELP = """\
Run the emulator: Tencent (POST /common_access), ZEGO (/?Action=..., /cgi/...) and Volcengine
(/?Action=...&Version=2023-01-01) on one HTTP port, the control API under /_emulator, live playback
under /live/, and an RTMP server for pushes.

Settings come from defaults, then the TOML file (--config or MIXEMU_CONFIG), then MIXEMU_* environment
variables, then these flags:
  MIXEMU_HOST, MIXEMU_PORT, MIXEMU_RTMP_PORT (off = none), MIXEMU_DATA_DIR, MIXEMU_MEDIA_ROOTS
  (separated by ':'), MIXEMU_AUTH (strict|off), MIXEMU_MEDIA_MODE (realtime|fast), MIXEMU_MAX_BODY_BYTES,
  MIXEMU_JOURNAL_SIZE, MIXEMU_PUBLIC_HOST.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mix-emulator", description="Cloud stream-mixing API emulator.")
    parser.add_argument("--version", action="version", version=f"mix-emulator {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve",
        help="run the emulator server",
        description=SERVE_HELP,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="HTTP port (default 8080; 0 = a free port, printed)")
    serve.add_argument(
        "--rtmp-port", help="RTMP port (default 1935; 0 = a free port; 'off' = no RTMP server)"
    )
    serve.add_argument("--data-dir", type=Path, help="recordings, HLS and media root (default ./data)")
    serve.add_argument(
        "--config", type=Path, help="TOML settings file ([emulator], [credentials.*], [providers.*])"
    )
    serve.add_argument(
        "--media-root",
        type=Path,
        action="append",
        dest="media_roots",
        help="more folders file sources may use",
    )
    serve.add_argument(
        "--auth", choices=["strict", "off"], help="check signatures and tokens (default strict)"
    )
    serve.add_argument(
        "--media-mode", choices=["realtime", "fast"], help="pace tasks to the clock or run flat out"
    )
    serve.add_argument(
        "--max-tasks", type=int, help="running mixes at once (default 0 = 10 per core); then overload codes"
    )
    serve.add_argument(
        "--media-workers",
        help="processes running the mixes: a number, 0 = inside the server, auto = one per core (default)",
    )
    serve.add_argument(
        "--jitter-ms", type=int, help="jitter buffer of live inputs, milliseconds (default 100)"
    )
    serve.add_argument("--recordings-keep", type=int, help="recordings kept, oldest removed (default 100)")
    serve.add_argument(
        "--recordings-max-bytes", type=int, help="total size of the recordings kept (default 1 GiB)"
    )
    serve.add_argument("--demo", action="store_true", default=None, help="publish demo streams at start")
    serve.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="add the request and response bodies (secrets redacted) to the request log lines",
    )
    serve.add_argument(
        "--log-format", choices=["text", "json"], default="text", help="log lines as text or JSON objects"
    )
    serve.add_argument(
        "--log-level", choices=["debug", "info", "warning", "error"], default="info", help="default info"
    )

    render = commands.add_parser("render", help="render a mix request offline to an MP4 file")
    _add_render_arguments(render)

    from emulator.push import add_push_arguments

    push = commands.add_parser("push", help="push a media file to an RTMP URL, as an anchor's app would")
    add_push_arguments(push)
    return parser


def _add_render_arguments(parser: argparse.ArgumentParser) -> None:
    try:
        from emulator.render import add_render_arguments
    except ImportError:  # the media engine's render command is not installed in this build
        return
    add_render_arguments(parser)


def console() -> NoReturn:
    """``mix-emulator`` and ``python -m emulator``: :func:`main` as a process. A render exits at once when
    done: its file is complete and renamed, and tearing the interpreter down (a last garbage collection of
    every PyAV and numpy object) would only add ~0.03 s to every render."""
    code = main()
    if sys.argv[1:2] == ["render"]:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["render"]:  # it has a parser of its own: no need to build the server's
        from emulator.render import run_render

        return run_render(arguments[1:])
    args = build_parser().parse_args(arguments)
    if args.command == "push":
        from emulator.push import run_push

        return run_push(args)
    import asyncio

    from emulator.config import SettingsError, load_settings
    from emulator.eventloop import new_event_loop
    from emulator.logformat import configure_logging

    configure_logging(args.log_format, args.log_level, bodies=args.verbose)
    try:
        settings = load_settings(
            args.config,
            overrides={
                "host": args.host,
                "port": args.port,
                "rtmp_port": args.rtmp_port,
                "data_dir": args.data_dir,
                "media_roots": args.media_roots,
                "auth": args.auth,
                "media_mode": args.media_mode,
                "demo": args.demo,
                "max_tasks": args.max_tasks,
                "media_workers": args.media_workers,
                "jitter_ms": args.jitter_ms,
                "recordings_keep": args.recordings_keep,
                "recordings_max_bytes": args.recordings_max_bytes,
            },
        )
    except SettingsError as exc:
        print(f"mix-emulator: {exc}", file=sys.stderr)
        return 2
    try:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(_serve(settings))
    except KeyboardInterrupt:
        pass
    except OSError as exc:  # the port is taken, the host is wrong ...
        print(f"mix-emulator: {exc}", file=sys.stderr)
        return 1
    return 0


async def _serve(settings) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import contextlib
    import signal

    from emulator.control.access import ensure_control_token
    from emulator.server import DEMO_STREAMS, start_emulator, tune_collector

    made_token = ensure_control_token(settings)
    running = await start_emulator(settings)
    tune_collector()
    ctx = running.ctx
    print(f"mix-emulator {__version__} listening on {running.url}", flush=True)
    if ctx.rtmp_port:
        print(f"RTMP ingest: rtmp://{settings.host}:{ctx.rtmp_port}/live/<stream_id>", flush=True)
    print(
        f"data dir: {settings.data_dir.resolve()}  auth: {settings.auth}  media: {settings.media_mode}",
        flush=True,
    )
    if made_token:  # printed, never logged: logs get pasted into bug reports
        print(f"control API token (bound beyond loopback): {settings.control_token}", flush=True)
    if settings.control_token is not None:
        print(
            "control API: 'Authorization: Bearer <token>'; dashboard: /_emulator/?token=<token>", flush=True
        )
    if settings.demo:
        print("demo streams: " + ", ".join(s["stream_id"] for s in DEMO_STREAMS), flush=True)
    print(f"try: curl {running.url}/_emulator/health\n     curl {running.url}/_emulator/streams", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await running.stop()
