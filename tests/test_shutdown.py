"""Graceful shutdown: ``mix-emulator serve`` stopped by SIGTERM or SIGINT while a mix runs exits within a
bound, with the recording finalised (it decodes) and the port free again."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import av
import pytest

from bench.process import serve, server_log
from bench.signed import SignedClients, expect_ok

SHUTDOWN_BOUND_S = 15.0  # README "Reliability": tasks stop within 10 s, open requests get 3 s more


@pytest.mark.parametrize(
    ("sig", "group"),
    [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGINT, True)],
    ids=["SIGTERM", "SIGINT", "Ctrl-C"],  # Ctrl-C: SIGINT to the terminal's whole process group
)
def test_a_signal_stops_the_server_and_finalises_the_recording(
    tmp_path: Path, sig: signal.Signals, group: bool
) -> None:
    with serve(tmp_path) as (server, url):
        client = SignedClients(url, size=(160, 90), fps=10)
        for stream in ("sd_a", "sd_b"):
            source = "pattern:bars?size=160x90&fps=10&tone=440"
            client.control.publish(stream, source)
        expect_ok("zego", client.zego_start("sd", ("sd_a", "sd_b"), "sd_out"))
        task_id = client.zego.task_id("sd")
        deadline = time.monotonic() + 15
        while client.control.task(task_id)["frames"] < 10:
            assert time.monotonic() < deadline, "the mix composed no frames"
            time.sleep(0.05)

        if group:
            os.killpg(server.pid, sig)
        else:
            server.send_signal(sig)
        started = time.monotonic()
        server.wait(timeout=SHUTDOWN_BOUND_S)
        took = time.monotonic() - started
        assert server.returncode == 0, server_log(tmp_path)
    assert took < SHUTDOWN_BOUND_S

    recordings = list(tmp_path.glob("recordings/*/sd_out*.mp4"))
    assert len(recordings) == 1
    with av.open(str(recordings[0])) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames >= 10  # whatever was composed before the signal, finalised
    assert not list(tmp_path.glob("hls/*"))  # the task's live HLS went with it

    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))  # free again
