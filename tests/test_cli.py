"""The command line: `python -m emulator serve` prints where it listens and answers; bad settings exit 2."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from emulator.cli import build_parser


def test_serve_help_documents_flags_and_env(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--help"])
    help_text = capsys.readouterr().out
    for word in ("--host", "--port", "--rtmp-port", "--data-dir", "--config", "MIXEMU_PORT", "MIXEMU_AUTH"):
        assert word in help_text


def test_serve_on_a_free_port_with_demo_streams(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "serve",
            "--port",
            "0",
            "--rtmp-port",
            "0",
            "--data-dir",
            str(tmp_path),
            "--demo",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "MIXEMU_AUTH": "strict"},
    )
    try:
        line = proc.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, line + proc.stderr.read()
        with urllib.request.urlopen(match.group(1) + "/_emulator/streams", timeout=10) as resp:
            streams = json.loads(resp.read())["streams"]
        assert {s["stream_id"] for s in streams} >= {"demo_bars", "demo_red"}
        bars = next(s for s in streams if s["stream_id"] == "demo_bars")
        assert (bars["info"]["width"], bars["info"]["height"]) == (640, 360)  # usable as a mix background
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


def test_bad_settings_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "serve", "--config", str(tmp_path / "missing.toml")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "missing.toml" in result.stderr
