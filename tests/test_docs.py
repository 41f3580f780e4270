"""The README's and docs' code blocks run against a live emulator, as a reader would paste them.

``python`` blocks run in a fresh interpreter, ``sh`` blocks in bash (with the virtualenv's commands on PATH),
both from the project folder, with ``127.0.0.1:8080`` / ``localhost:8080`` pointed at a test emulator on a
free port and the emulator reset before each. ``<!-- doctest: pytest -->`` above a block runs it as a
pytest file; ``<!-- doctest: skip (why) -->`` leaves it out. Other languages (toml, json, text) are data.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.testing import EmulatorFixture

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(
    r"(?:<!-- doctest: (?P<mode>\w+)[^>]*-->\n)?^```(?P<lang>\w*)\n(?P<code>.*?)^```", re.M | re.S
)
RUNNABLE = ("python", "sh")


def blocks() -> list[pytest.param]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            mode, lang = match["mode"] or "run", match["lang"]
            if lang not in RUNNABLE or mode == "skip":
                continue
            line = text.count("\n", 0, match.start("code"))
            block_id = f"{page.relative_to(ROOT)}:{line}"
            found.append(pytest.param(lang, mode, match["code"], id=block_id))
    return found


def test_the_pages_have_runnable_blocks() -> None:
    ids = [param.id for param in blocks()]
    assert sum(i.startswith("README.md") for i in ids) >= 7  # five quick starts, the plugin, the kit
    assert any(i.startswith("docs/tencent.md") for i in ids) and any(
        i.startswith("docs/zego.md") for i in ids
    )


@pytest.mark.e2e
@pytest.mark.parametrize(("lang", "mode", "code"), blocks())
def test_block_runs(lang: str, mode: str, code: str, mix_emulator: EmulatorFixture, tmp_path: Path) -> None:
    code = re.sub(r"(127\.0\.0\.1|localhost):8080", mix_emulator.host_port, code)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    if mode == "pytest":
        (tmp_path / "test_block.py").write_text(code)
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            str(tmp_path),
        ]
    elif lang == "python":
        command = [sys.executable, "-c", code]
    else:
        command = ["bash", "-euo", "pipefail", "-c", code]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{command[0]} failed:\n{result.stdout}\n{result.stderr}"
