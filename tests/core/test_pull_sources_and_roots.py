"""``pull:`` URLs (a provider's pull URL of a live stream) and the media roots' answers: what a pull reads
while its stream is published, mapped or a mix's output; the not-found messages; relative paths that climb."""

from __future__ import annotations

from pathlib import Path

from emulator.core.clock import EmulatorClock
from emulator.core.job import ResolvedSource
from emulator.core.resolver import SourceResolverImpl, pull_spec, stream_id_in
from emulator.core.streams import StreamRegistry
from emulator.core.urlmap import MediaRoots, UrlMap

PULL = "rtmp://pull.example.com/live/anchor1"


def _parts(tmp_path: Path) -> tuple[SourceResolverImpl, StreamRegistry, UrlMap]:
    registry, urls = StreamRegistry(EmulatorClock()), UrlMap()
    return SourceResolverImpl(registry, urls, MediaRoots([tmp_path])), registry, urls


def test_a_pull_reads_the_published_stream_it_names(tmp_path: Path) -> None:
    resolve, registry, _ = _parts(tmp_path)
    registry.publish("anchor1", "pattern:color?c=red", loop=False)
    assert resolve(pull_spec(PULL)) == ResolvedSource("pattern:color?c=red", 1, False)
    assert resolve(pull_spec("http://cdn.example.com/live/anchor1.flv?token=x")).spec == "pattern:color?c=red"


def test_a_pull_of_a_stream_not_published_fetches_the_url(tmp_path: Path) -> None:
    resolve, registry, _ = _parts(tmp_path)
    registry.publish("other", "pattern:color")
    assert resolve(pull_spec(PULL)) == ResolvedSource(PULL, 0, False)
    assert resolve(pull_spec("rtmp://pull.example.com/")) == ResolvedSource(
        "rtmp://pull.example.com/", 0, False
    )


def test_a_mapped_pull_url_resolves_as_mapped_even_when_its_stream_is_published(tmp_path: Path) -> None:
    resolve, registry, urls = _parts(tmp_path)
    registry.publish("anchor1", "pattern:color?c=red")
    urls.add(PULL, "pattern:color?c=blue")
    assert resolve(pull_spec(PULL)).spec == "pattern:color?c=blue"


def test_a_pull_of_a_running_mixs_output_reads_its_live_channel(tmp_path: Path) -> None:
    resolve, registry, _ = _parts(tmp_path)
    registry.claim_outputs("zego:t1", ["anchor1"])
    assert resolve(pull_spec(PULL)) == ResolvedSource("live:mix:anchor1")
    registry.release_outputs("zego:t1")
    assert resolve(pull_spec(PULL)).spec == PULL


def test_not_found_names_every_root(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    roots = MediaRoots([first, second])
    assert roots.not_found("/nowhere/x.mp4") == (
        f"file not found or outside the media roots ({first}, {second}): /nowhere/x.mp4"
    )
    assert roots.not_found("file:///nowhere/x.mp4").startswith("file not found or outside the media roots (")
    assert roots.not_found("clips/x.mp4") == (
        f"file not found in the media roots ({first}, {second}) or the current directory: clips/x.mp4"
    )
    assert roots.not_found("pattern:color").startswith("file not found in the media roots")


def test_a_relative_path_may_not_climb_even_back_into_its_root(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "f.png").write_bytes(b"png")
    roots = MediaRoots([tmp_path])
    assert roots.relative("f.png") == (tmp_path / "f.png").resolve()
    assert roots.relative("sub/../f.png") is None
    assert roots.relative("sub%2F..%2Ff.png") is None
    assert roots.relative(str(tmp_path / "f.png")) is None


def test_a_relative_file_is_looked_for_in_every_root_in_order(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (second / "only_b.png").write_bytes(b"b")
    (first / "both.png").write_bytes(b"a")
    (second / "both.png").write_bytes(b"b")
    roots = MediaRoots([first, second])
    assert roots.find("only_b.png") == (second / "only_b.png").resolve()
    assert roots.find("both.png") == (first / "both.png").resolve()
    assert roots.find("neither.png") is None


def test_the_stream_id_of_a_pull_url_is_its_last_path_segment() -> None:
    assert stream_id_in("rtmp://h/live/abc/") == "abc"
    assert stream_id_in("http://h/live/ABX.flv?t=1") == "ABX"
    assert stream_id_in("rtmp://h/app/live/deep/name") == "name"
    assert stream_id_in("rtmp://h/") is None


def test_a_published_stream_keeps_its_room_and_user() -> None:
    stream = StreamRegistry(EmulatorClock()).publish("s", "pattern:color", room_id="r1", user_id="u1")
    assert (stream.room_id, stream.user_id) == ("r1", "u1")
