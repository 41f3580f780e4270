"""``Emulator`` outside pytest's fixtures: a context manager with merged settings, recordings, clock,
faults and journal; and a unittest that uses it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import unittest
from pathlib import Path

from emulator.config import Settings
from emulator.kit import Emulator
from emulator.kit.settings import merged_settings
from tests.control.support import zego_mix

START = zego_mix("rec", {"clip": (0, 0, 160, 90)}, (160, 90), fps=15)


def test_settings_overrides_keep_free_ports_and_the_temporary_dir(tmp_path: Path) -> None:
    from_settings = merged_settings(Settings(media_mode="fast", data_dir="ignored-default?"), tmp_path)
    assert (from_settings.port, from_settings.rtmp_port) == (0, 0)
    assert from_settings.media_mode == "fast" and from_settings.data_dir == Path("ignored-default?")
    from_dict = merged_settings({"media_mode": "fast", "media_roots": [str(tmp_path)]}, tmp_path)
    assert from_dict.data_dir == tmp_path and from_dict.media_roots == [tmp_path]
    assert merged_settings(Settings(media_mode="fast"), tmp_path).data_dir == tmp_path


def test_a_fast_mix_records_and_the_recording_reads_back(tmp_path: Path) -> None:
    with Emulator(media_mode="fast", data_dir=str(tmp_path)) as emu:
        assert emu.data_dir == tmp_path and emu.port != 8080
        emu.publish("clip", "pattern:color?color=#00ff00&size=160x90&duration=1", loop=False)
        assert emu.zego.call("StartMix", START)["Code"] == 0
        task = emu.wait_for(emu.zego.task_id("rec"), state="ended")
        path = emu.recording_path(task)
        assert path.is_relative_to(tmp_path) and path.stat().st_size > 0
        relative = task["outputs"][0]["recording_url"].split("/_emulator/recordings/")[1]
        assert emu.recording_file(relative) == path.read_bytes()  # the same file over HTTP
        info = emu.recording_info(task)
        assert info["video"]["codec"] == "h264" and (info["video"]["width"], info["video"]["height"]) == (
            160,
            90,
        )
        assert info["audio"]["codec"] == "aac"
        assert 0.9 <= info["duration"] <= 1.3 and info["video"]["frames"] >= 14
        assert emu.snapshot_image(task).getpixel((80, 45))[1] > 200  # green


def test_clock_faults_and_journal(tmp_path: Path) -> None:
    with Emulator() as emu:
        data_dir = emu.data_dir
        assert emu.advance_clock(60)["offset"] >= 59 and emu.now() > emu.clock()["offset"]
        emu.add_fault("zego", "StartMix", code=110200002, times=1)
        assert emu.zego.call("StartMix", START)["Code"] == 110200002
        entry = emu.requests(provider="zego")[-1]
        assert entry["action"] == "StartMix"
    assert not data_dir.exists()  # the temporary data dir went with the emulator


class EmulatorInUnittest(unittest.TestCase):
    """The same object serves a unittest.TestCase (no pytest fixture involved)."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.emu = Emulator(auth="off")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.emu.stop()

    def test_health(self) -> None:
        self.assertEqual(self.emu.health()["auth"], "off")


def test_a_plain_script_runs_the_emulator(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            """
            from emulator.kit import Emulator

            with Emulator() as emu:
                emu.publish("a", "pattern:bars?size=64x36")
                print(emu.stream("a")["stream_id"], emu.health()["status"])
            """
        )
    )
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["a", "ok"]


def test_a_failed_start_leaves_nothing_behind(tmp_path: Path) -> None:
    import socket
    import tempfile

    import pytest

    before = set(Path(tempfile.gettempdir()).glob("mix-emulator-*"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            Emulator(port=taken.getsockname()[1])
    assert set(Path(tempfile.gettempdir()).glob("mix-emulator-*")) == before
