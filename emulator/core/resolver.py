"""Turns what a MixJob names (``stream:<id>``, a production URL, a file) into what the media engine opens."""

from __future__ import annotations

from emulator.core.job import ResolvedSource
from emulator.core.streams import StreamRegistry
from emulator.core.urlmap import MediaRoots, UrlMap

# Specs the media engine cannot open, with the reason in the text: the input reports it as its error.
INVALID_PREFIX = "invalid:"


class SourceResolverImpl:
    """Callable as a ``SourceResolver`` (core/job.py)."""

    def __init__(self, registry: StreamRegistry, urls: UrlMap, roots: MediaRoots) -> None:
        self._registry = registry
        self._urls = urls
        self._roots = roots

    def __call__(self, spec: str) -> ResolvedSource | None:
        generation, loop = 0, False
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
                return ResolvedSource(
                    f"{INVALID_PREFIX}file not found inside the media roots: {spec}", generation
                )
            spec = str(path)
        return ResolvedSource(spec, generation, loop)
