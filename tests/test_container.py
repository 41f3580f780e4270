"""The Dockerfile's entrypoint command, run here as the container would run it (images cannot be built on
these machines): ``mix-emulator serve --host 0.0.0.0`` with the data dir from ``MIXEMU_DATA_DIR``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.process_output import wait_for_line

ROOT = Path(__file__).resolve().parent.parent
LISTENING = r"mix-emulator .* listening on http://[^:]+:(\d+)"


def dockerfile_command() -> tuple[list[str], dict[str, str]]:
    text = (ROOT / "Dockerfile").read_text()
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (.+)$", text, re.M)[1])  # type: ignore[index]
    cmd = json.loads(re.search(r"^CMD (.+)$", text, re.M)[1])  # type: ignore[index]
    env = dict(re.findall(r"^ENV (\w+)=(\S+)$", text, re.M))
    return [*entrypoint, *cmd], env


def test_the_entrypoint_serves_with_the_data_dir_volume(tmp_path: Path) -> None:
    command, image_env = dockerfile_command()
    assert command == ["mix-emulator", "serve", "--host", "0.0.0.0"]
    assert image_env["MIXEMU_DATA_DIR"] == "/data" and "/data" in (ROOT / "compose.yaml").read_text()
    env = {**os.environ, "MIXEMU_DATA_DIR": str(tmp_path), "MIXEMU_PORT": "0", "MIXEMU_RTMP_PORT": "0"}
    env["MIXEMU_CONTROL_TOKEN"] = "change-me"  # as compose.yaml sets it: bound beyond loopback, one is needed
    executable = Path(sys.executable).parent / command[0]
    server = subprocess.Popen(
        [str(executable), *command[1:]], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        port = wait_for_line(server, LISTENING)
        health_url = f"http://127.0.0.1:{port[1]}/_emulator/health"
        request = urllib.request.Request(health_url, headers={"Authorization": "Bearer change-me"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            health = json.load(answer)
        assert health["status"] == "ok"
        assert str(tmp_path / "media") in health["media_roots"]
    finally:
        server.terminate()
        server.wait(timeout=15)
        if server.stdout is not None:
            server.stdout.close()
