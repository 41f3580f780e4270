"""The plugin in a separate user project (its own conftest and tests), under ``pytest -n 2``, with a
settings override; and a run that does not use it imports nothing of the emulator's engine."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

CONFTEST = """
from emulator.config import Settings
import pytest

@pytest.fixture(scope="session")
def mix_emulator_settings():
    return Settings(media_mode="fast")   # merged onto free ports and a temporary data dir
"""

TESTS = """
BODY = {
    "TaskId": "t", "Sequence": 1, "UserId": "u",
    "MixInput": [{"StreamId": "cam", "RectInfo": {"Top": 0, "Left": 0, "Bottom": 90, "Right": 160}}],
    "MixOutput": [{"StreamId": "out", "Width": 320, "Height": 180, "VideoBitrate": 300000, "Fps": 15}],
}

def _mix(emu, colour):
    assert emu.port != 8080 and emu.health()["media_mode"] == "fast"
    emu.publish("cam", f"pattern:color?color={colour}&size=160x90")
    assert emu.zego.call("StartMix", BODY)["Code"] == 0
    task = emu.wait_for(emu.zego.task_id("t"), frames=2)
    emu.assert_layout(task, {"cam": (0, 0, 160, 90)})

def test_red(mix_emulator): _mix(mix_emulator, "#ff0000")
def test_green(mix_emulator): _mix(mix_emulator, "#00ff00")
def test_blue(mix_emulator): _mix(mix_emulator, "#0000ff")
def test_white(mix_emulator): _mix(mix_emulator, "#ffffff")
"""


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, str(folder)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=folder,
    )


def test_a_user_project_runs_the_plugin_under_xdist(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    (tmp_path / "test_mixes.py").write_text(textwrap.dedent(TESTS))
    result = run_pytest(tmp_path, "-n", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_a_run_that_does_not_use_the_plugin_does_not_load_the_emulator(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text(
        textwrap.dedent(
            """
            import sys

            def test_nothing_heavy_was_imported():
                engine = ("emulator.server", "emulator.kit", "aiohttp", "av", "numpy")
                heavy = [m for m in engine if m in sys.modules]
                assert "emulator.testing" in sys.modules and heavy == []
            """
        )
    )
    result = run_pytest(tmp_path, "-p", "no:xdist")
    assert result.returncode == 0, result.stdout + result.stderr
