from pathlib import Path

from emulator.core.clock import EmulatorClock
from emulator.core.resolver import INVALID_PREFIX, SourceResolverImpl
from emulator.core.streams import StreamRegistry
from emulator.core.urlmap import MediaRoots, UrlMap


def _resolver(tmp_path: Path) -> tuple[SourceResolverImpl, StreamRegistry, UrlMap]:
    registry, urls = StreamRegistry(EmulatorClock()), UrlMap()
    return SourceResolverImpl(registry, urls, MediaRoots([tmp_path])), registry, urls


def test_url_map_exact_then_without_query() -> None:
    urls = UrlMap()
    urls.add("https://tos.example.org/obj/test.mp4", "pattern:bars")
    assert urls.lookup("https://tos.example.org/obj/test.mp4?sig=1") == "pattern:bars"
    assert urls.lookup("https://tos.example.org/obj/other.mp4") is None
    assert urls.remove("https://tos.example.org/obj/test.mp4") and urls.items() == {}


def test_streams_urls_and_files_resolve(tmp_path: Path) -> None:
    resolve, registry, urls = _resolver(tmp_path)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"x")
    registry.publish("anchor", "clip.mp4")
    urls.add("https://cdn.example.com/a.flv", "stream:anchor")
    assert resolve("stream:anchor").spec == str(clip.resolve())
    assert resolve("https://cdn.example.com/a.flv").spec == str(clip.resolve())
    assert resolve("stream:nobody") is None
    assert resolve("pattern:bars?size=2x2").spec == "pattern:bars?size=2x2"
    assert resolve("rtmp://elsewhere/live/x").spec == "rtmp://elsewhere/live/x"


def test_files_outside_the_media_roots_are_refused(tmp_path: Path) -> None:
    resolve, _, _ = _resolver(tmp_path / "root")
    (tmp_path / "root").mkdir()
    (tmp_path / "secret.txt").write_text("no")
    for spec in ["/etc/passwd", "../secret.txt", f"file://{tmp_path}/secret.txt", "missing.mp4"]:
        assert resolve(spec).spec.startswith(INVALID_PREFIX), spec


def test_mix_output_feeds_another_mix(tmp_path: Path) -> None:
    resolve, registry, _ = _resolver(tmp_path)
    registry.claim_outputs("zego:t1", ["mixed"])
    assert resolve("stream:mixed").spec == "live:mix:mixed"


def test_media_roots_relative_paths_stay_inside(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b.png").write_bytes(b"png")
    roots = MediaRoots([tmp_path])
    assert roots.relative("a/b.png") == (tmp_path / "a" / "b.png").resolve()
    assert roots.relative("../etc/passwd") is None
    assert roots.relative("/etc/passwd") is None


def test_published_streams_loop_unless_told_not_to(tmp_path: Path) -> None:
    resolve, registry, _ = _resolver(tmp_path)
    registry.publish("looping", "pattern:bars")
    registry.publish("once", "pattern:bars", loop=False)
    assert resolve("stream:looping").loop is True
    assert resolve("stream:once").loop is False
    assert resolve("pattern:bars").loop is False  # a layer's own source loops only if the layer says so
