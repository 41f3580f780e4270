"""Recording retention (oldest removed first, by count or bytes) and the capacity settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from emulator.cli import build_parser
from emulator.config import TASKS_PER_CORE, SettingsError, load_settings, usable_cores
from emulator.core.retention import prune_recordings


def _recordings(folder: Path, sizes: list[int]) -> list[Path]:
    """One recording per size, in task folders, the first the oldest (mtimes a minute apart)."""
    made = []
    for i, size in enumerate(sizes):
        path = folder / f"zego_12345_t{i}" / "out.mp4"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"\0" * size)
        os.utime(path, (1_700_000_000 + 60 * i, 1_700_000_000 + 60 * i))
        made.append(path)
    return made


def test_the_oldest_go_first_beyond_the_count(tmp_path: Path) -> None:
    made = _recordings(tmp_path, [10] * 5)
    assert prune_recordings(tmp_path, keep=3, max_bytes=0) == 2
    assert [p.exists() for p in made] == [False, False, True, True, True]
    assert not made[0].parent.exists()  # the emptied task folder goes too


def test_the_oldest_go_first_beyond_the_bytes(tmp_path: Path) -> None:
    made = _recordings(tmp_path, [100, 100, 100, 60, 30])
    assert prune_recordings(tmp_path, keep=0, max_bytes=200) == 2
    # Newest first: 30 + 60 + 100 = 190 fit; the next would make 290: it and everything older go.
    assert [p.exists() for p in made] == [False, False, True, True, True]


def test_recordings_being_written_are_kept_and_not_counted(tmp_path: Path) -> None:
    made = _recordings(tmp_path, [10] * 4)
    assert prune_recordings(tmp_path, keep=1, max_bytes=0, protected=[made[0]]) == 2
    assert [p.exists() for p in made] == [True, False, False, True]


def test_no_limits_remove_nothing(tmp_path: Path) -> None:
    made = _recordings(tmp_path, [10] * 3)
    assert prune_recordings(tmp_path, keep=0, max_bytes=0) == 0
    assert all(p.exists() for p in made)


def test_capacity_and_retention_settings_from_file_env_and_flags(tmp_path: Path) -> None:
    defaults = load_settings(env={})
    assert (defaults.max_tasks, defaults.recordings_keep, defaults.recordings_max_bytes) == (0, 100, 1 << 30)
    assert defaults.task_limit() == TASKS_PER_CORE * usable_cores()  # 0 = derived from the cores
    config = tmp_path / "emu.toml"
    config.write_text("[emulator]\nmax_tasks = 7\nrecordings_keep = 3\n")
    env = {"MIXEMU_RECORDINGS_MAX_BYTES": "5000", "MIXEMU_RECORDINGS_KEEP": "4"}
    settings = load_settings(config, env=env, overrides={"max_tasks": 9})
    assert (settings.task_limit(), settings.recordings_keep, settings.recordings_max_bytes) == (9, 4, 5000)
    args = build_parser().parse_args(["serve", "--max-tasks", "5", "--recordings-keep", "0"])
    assert (args.max_tasks, args.recordings_keep) == (5, 0)
    with pytest.raises(SettingsError, match="MIXEMU_MAX_TASKS"):
        load_settings(env={"MIXEMU_MAX_TASKS": "-1"})
