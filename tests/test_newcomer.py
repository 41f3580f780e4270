"""A newcomer's path on a fresh clone (of the working tree): the two README commands, the README's render
example verbatim (its clips written on first use), and one ``assert_layout``. The provider quick starts are
tests/test_docs.py.

To fit the time budget the clone shares this checkout's virtualenv (so ``make``'s install step has nothing
to do), ``make run`` is stopped once healthy, and ``make test`` runs one test file."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.process_output import wait_for_line

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.executable).parent.parent

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def readme_command(prefix: str) -> str:
    """The README's shell command that starts with ``prefix`` (continuation lines joined)."""
    text = (ROOT / "README.md").read_text().replace("\\\n", " ")
    return next(line.strip() for line in text.splitlines() if line.strip().startswith(prefix))


def fresh_clone(into: Path) -> None:
    """What a clone of this checkout would hold once its changes are committed: every file git tracks or
    would add, none it ignores (fixtures/media, .venv, data). Copied, so uncommitted work is tested too."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)


def test_a_fresh_clone(tmp_path: Path) -> None:
    clone = tmp_path / "mix-emulator"
    fresh_clone(clone)
    assert not (clone / "fixtures" / "media").exists()
    (clone / ".venv").symlink_to(VENV)
    # older than the venv's install stamp: make's install step must not reinstall the shared venv
    os.utime(clone / "pyproject.toml", (0, 0))
    env = {**os.environ, "PYTHONPATH": str(clone), "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ['PATH']}"}

    # make run: the emulator with its demo streams (on free ports here)
    data = tmp_path / "data"
    server = subprocess.Popen(
        ["make", "-s", "-o", "install", "run", f"ARGS=--port 0 --rtmp-port 0 --data-dir {data}"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        url = wait_for_line(server, r"listening on (http://\S+)", timeout=60)[1]
        with urllib.request.urlopen(f"{url}/_emulator/streams", timeout=10) as answer:
            assert b"demo_bars" in answer.read()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        if server.stdout is not None:
            server.stdout.close()

    # make test: lint and the suite's runner (one file of it)
    tested = subprocess.run(
        [
            "make",
            "-s",
            "-o",
            "install",
            "-o",
            "node-sdks",
            "test",
            "ARGS=tests/control/test_openapi.py -q -p no:cacheprovider",
        ],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr

    # the README's render example, verbatim
    command = shlex.split(readme_command("mix-emulator render"))
    rendered = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True, timeout=120)
    assert rendered.returncode == 0, rendered.stderr
    assert (clone / "out.mp4").stat().st_size > 0 and (
        clone / "fixtures" / "media" / "bars_640x360.mp4"
    ).exists()

    # one assert_layout, with the kit of the clone
    script = """
from emulator.kit import Emulator
body = {"TaskId": "t", "Sequence": 1, "UserId": "u",
        "MixInput": [{"StreamId": "cam", "RectInfo": {"Top": 20, "Left": 40, "Bottom": 110, "Right": 200}}],
        "MixOutput": [{"StreamId": "out", "Width": 320, "Height": 180, "VideoBitrate": 300000, "Fps": 15}]}
with Emulator() as emu:
    emu.publish("cam", "pattern:color?color=#ff0000&size=160x90")
    assert emu.zego.call("StartMix", body)["Code"] == 0
    emu.assert_layout(emu.wait_for(emu.zego.task_id("t"), frames=2), {"cam": (40, 20, 160, 90)})
"""
    checked = subprocess.run(
        [sys.executable, "-c", script], cwd=clone, env=env, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
