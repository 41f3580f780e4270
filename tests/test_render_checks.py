"""``render`` refuses what would render wrong, naming it: an unknown or unused --stream id, and a missing
file for every provider (no "size unknown"); relative paths follow the media-roots rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.render import run_render

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = ROOT / "fixtures" / "requests"
RED = "pattern:color?color=#ff0000&size=160x90&duration=0.2"


def render(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> tuple[int, str]:
    code = run_render([*args, "-o", str(tmp_path / "out.mp4")])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("provider", "request_file", "mapping"),
    [
        ("tencent", "tencent/template_20.json", ["--stream", "stream_lewis01=nope/host.mp4",
                                                 "--stream", f"stream_lewis02={RED}"]),
        ("zego", "zego/start_mix.json", ["--stream", "stream1=nope/host.mp4", "--stream", f"stream2={RED}"]),
        ("volcengine", "volcengine/create_cloud_mix_task.json",
         ["--url", "https://tos.example.org/obj/test.mp4=nope/host.mp4",
          "--url", f"http://tos.example.org/obj/test/logo001.png={RED}"]),
    ],
)  # fmt: skip
def test_a_missing_file_is_named_for_every_provider(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, provider: str, request_file: str, mapping: list[str]
) -> None:
    code, err = render(capsys, tmp_path, str(REQUESTS / request_file), "--provider", provider, *mapping)
    assert code == 1
    assert "nope/host.mp4" in err and "media roots" in err and "current directory" in err, err
    assert "size unknown" not in err
    assert not (tmp_path / "out.mp4").exists()


def test_an_unknown_stream_id_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    request = str(REQUESTS / "tencent" / "template_20.json")
    streams = ["--stream", f"stream_lewis01={RED}", "--stream", f"strem1={RED}"]
    code, err = render(capsys, tmp_path, request, "--provider", "tencent", *streams, "--duration", "0.2")
    assert code == 1
    assert (
        "--stream strem1: the request plays no such stream (its streams: stream_lewis01, stream_lewis02)"
        in err
    )


def test_a_stream_without_its_source_is_refused_with_a_duration_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    request = str(REQUESTS / "zego" / "start_mix.json")
    code, err = render(
        capsys, tmp_path, request, "--provider", "zego", "--stream", f"stream1={RED}", "--duration", "1"
    )
    assert code == 1 and "pass --stream stream2=SOURCE" in err


def test_a_relative_path_is_found_in_a_media_root(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from emulator.media.clips import write_clip

    (tmp_path / "data" / "media").mkdir(parents=True)
    write_clip(tmp_path / "data" / "media" / "cam.mp4", size=(160, 90), duration=0.2)
    monkeypatch.chdir(tmp_path)  # ./data/media is the default data dir's media root
    request = str(REQUESTS / "zego" / "start_mix.json")
    code, err = render(capsys, tmp_path, request, "--provider", "zego", "--stream", "stream1=cam.mp4",
                       "--stream", f"stream2={RED}")  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "out.mp4").stat().st_size > 0
