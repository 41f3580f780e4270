"""The pytest plugin: fast in-process start, and one server per xdist worker."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from emulator.config import Settings
from emulator.server import EmulatorThread
from emulator.testing import EmulatorFixture


def test_in_process_emulator_starts_well_under_a_second(tmp_path: Path) -> None:
    started = time.perf_counter()
    thread = EmulatorThread(Settings(port=0, rtmp_port=0, data_dir=tmp_path)).start()
    elapsed = time.perf_counter() - started
    try:
        assert EmulatorFixture(thread).health()["status"] == "ok"
    finally:
        thread.stop()
    assert elapsed < 0.5, f"start took {elapsed:.3f} s"


def test_fixture_is_reset_between_tests(mix_emulator: EmulatorFixture) -> None:
    assert mix_emulator.streams() == []
    mix_emulator.publish("left_over", "pattern:bars?size=32x32")


def test_fixture_is_reset_between_tests_again(mix_emulator: EmulatorFixture) -> None:
    assert mix_emulator.streams() == []
    mix_emulator.publish("left_over", "pattern:bars?size=32x32")


def test_each_xdist_worker_gets_its_own_server(tmp_path: Path) -> None:
    (tmp_path / "test_ports.py").write_text(
        textwrap.dedent(
            """
            import os

            def _record(emu):
                name = os.environ.get("PYTEST_XDIST_WORKER", "main")
                with open(os.path.join(os.path.dirname(__file__), f"port-{name}"), "a") as fh:
                    fh.write(f"{emu.port}\\n")

            def test_a(mix_emulator): _record(mix_emulator)
            def test_b(mix_emulator): _record(mix_emulator)
            def test_c(mix_emulator): _record(mix_emulator)
            def test_d(mix_emulator): _record(mix_emulator)
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    ports = {p.name: set(p.read_text().split()) for p in tmp_path.glob("port-*")}
    assert set(ports) == {"port-gw0", "port-gw1"}
    assert all(len(v) == 1 for v in ports.values())  # one server per worker for the whole session
    assert ports["port-gw0"] != ports["port-gw1"]
