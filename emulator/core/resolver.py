"""Turns what a MixJob names (``stream:<id>``, a production URL, a file) into what the media engine opens.

``pull:<url>`` is a provider's pull URL of a live stream (a Volcengine ``live`` Url, a ZEGO StreamUrl):
while the stream it names (its last path segment) is published here, or is a running mix's output, it
reads that stream; otherwise it pulls the URL itself. The renderer asks again every half second, so an
anchor that starts pushing after the task was created joins the mix, as the real services keep pulling.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from emulator.core.job import ResolvedSource
from emulator.core.outbound import OutboundPolicy
from emulator.core.streams import StreamRegistry
from emulator.core.urlmap import MediaRoots, UrlMap

# Specs the media engine cannot open, with the reason in the text: the input reports it as its error.
INVALID_PREFIX = "invalid:"
PULL_PREFIX = "pull:"


def pull_spec(url: str) -> str:
    return PULL_PREFIX + url


def stream_id_in(url: str) -> str | None:
    """The stream id a pull URL names: its last path segment, without ``.flv``
    (``rtmp://host/live/abc``, ``http://host/live/abc.flv?token=x`` -> ``abc``)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    name = path.rstrip("/").rsplit("/", 1)[-1]
    name = name.removesuffix(".flv")
    return name or None


_NETWORK = re.compile(r"(?i)(https?|rtmps?)://")  # what the media engine would fetch from another host


class SourceResolverImpl:
    """Callable as a ``SourceResolver`` (core/job.py)."""

    def __init__(
        self,
        registry: StreamRegistry,
        urls: UrlMap,
        roots: MediaRoots,
        outbound: OutboundPolicy | None = None,
    ) -> None:
        self._registry = registry
        self._urls = urls
        self._roots = roots
        self._outbound = outbound or OutboundPolicy([])

    def __call__(self, spec: str) -> ResolvedSource | None:
        generation, loop = 0, False
        if spec.startswith(PULL_PREFIX):
            spec = self._pulled(spec[len(PULL_PREFIX) :])
        for _ in range(3):  # a mapped URL may name a stream, whose source may be a mapped URL
            if spec.startswith("stream:"):
                stream_id = spec[len("stream:") :]
                found = self._registry.resolve(stream_id)
                if found is None:
                    # Another mix's output can feed this one (its live FLV channel).
                    owner = self._registry.output_owner(stream_id)
                    return ResolvedSource(f"live:mix:{stream_id}") if owner else None
                spec, generation, loop = found.spec, found.generation, found.loop
                continue
            mapped = self._urls.lookup(spec)
            if mapped is None:
                break
            spec = mapped
        if self._roots.local_path(spec) is not None:
            path = self._roots.find(spec)
            if path is None:
                return ResolvedSource(f"{INVALID_PREFIX}{self._roots.not_found(spec)}", generation)
            spec = str(path)
        elif _NETWORK.match(spec) and (refusal := self._outbound.refusal(spec)) is not None:
            return ResolvedSource(f"{INVALID_PREFIX}{refusal}", generation)
        return ResolvedSource(spec, generation, loop)

    def _pulled(self, url: str) -> str:
        name = stream_id_in(url)
        if name is None or self._urls.lookup(url) is not None:
            return url  # a mapped URL resolves as mapped
        published = self._registry.get(name) is not None or self._registry.output_owner(name)
        return f"stream:{name}" if published else url
