"""Everything one emulator instance shares: settings, clock, registries, tasks, faults, journal, callbacks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator.config import Credential, Settings
from emulator.core.callbacks import CallbackDispatcher
from emulator.core.clock import EmulatorClock
from emulator.core.faults import FaultInjector
from emulator.core.journal import RequestJournal
from emulator.core.outbound import OutboundPolicy
from emulator.core.resolver import SourceResolverImpl
from emulator.core.streams import StreamRegistry
from emulator.core.tasks import PipelineFactory, TaskManager
from emulator.core.urlmap import MediaRoots, UrlMap

if TYPE_CHECKING:
    from emulator.media.hls_demand import HlsDemand
    from emulator.media.live import LiveHub
    from emulator.media.relay import StreamRelays
    from emulator.providers.base import Provider
    from emulator.workers import WorkerPool


@dataclass
class EmulatorContext:
    settings: Settings
    clock: EmulatorClock
    registry: StreamRegistry
    urls: UrlMap
    media_roots: MediaRoots
    hub: LiveHub
    tasks: TaskManager
    faults: FaultInjector
    journal: RequestJournal
    callbacks: CallbackDispatcher
    relays: StreamRelays
    workers: WorkerPool | None = None  # None: pipelines run in this process (media_workers = 0)
    hls_demand: HlsDemand | None = None  # the HLS routes' requests: mix outputs write HLS while played
    providers: dict[str, Provider] = field(default_factory=dict)
    http_port: int | None = None  # known once the server is bound
    rtmp_port: int | None = None

    @classmethod
    def create(cls, settings: Settings, pipeline_factory: PipelineFactory | None = None) -> EmulatorContext:
        from emulator.media.hls_demand import HlsDemand
        from emulator.media.live import LiveHub
        from emulator.media.relay import StreamRelays

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        (settings.data_dir / "media").mkdir(exist_ok=True)
        clock = EmulatorClock()
        registry = StreamRegistry(clock)
        urls = UrlMap()
        roots = MediaRoots(settings.all_media_roots())
        hub = LiveHub()
        outbound = OutboundPolicy(settings.outbound_allow)
        resolver = SourceResolverImpl(registry, urls, roots, outbound)
        hls_demand = HlsDemand(clock)
        in_process = _media_pipeline_factory(hub, outbound, settings.jitter_ms / 1000, hls_demand)
        workers = None
        if pipeline_factory is None and settings.worker_count() > 0:
            from emulator.core.memory import tune_for_a_server_without_media
            from emulator.workers import WorkerPool

            workers = WorkerPool(
                settings.worker_count(),
                hub,
                resolver,
                clock,
                jitter=settings.jitter_ms / 1000,
                outbound_allow=list(settings.outbound_allow),
            )
            tune_for_a_server_without_media()  # the frames are made in the workers (core/memory.py)
            hls_demand.on_request(workers.hls_requested)
        factory = pipeline_factory or (workers.factory if workers is not None else in_process)
        tasks = TaskManager(
            clock,
            registry,
            resolver,
            factory,
            settings.data_dir,
            settings.media_mode,
            max_tasks=settings.task_limit(),
            recordings_keep=settings.recordings_keep,
            recordings_max_bytes=settings.recordings_max_bytes,
        )
        # Relays stay in this process: one per watched control-API stream, with a sink of their own.
        relays = StreamRelays(
            registry, resolver, clock, hub, settings.data_dir, pipeline_factory or in_process
        )
        hub.set_on_demand(relays.start)  # players of a control-API stream get it relayed
        return cls(
            settings=settings,
            clock=clock,
            registry=registry,
            urls=urls,
            media_roots=roots,
            hub=hub,
            tasks=tasks,
            faults=FaultInjector(),
            journal=RequestJournal(settings.journal_size),
            callbacks=CallbackDispatcher(clock, outbound),
            relays=relays,
            workers=workers,
            hls_demand=hls_demand,
        )

    # ----- credentials
    def credential(self, provider: str, app_id: str) -> Credential | None:
        """The newest credential configured for this provider and app id (config overrides defaults)."""
        for cred in reversed(self.settings.credentials):
            if cred.provider == provider and cred.app_id == app_id:
                return cred
        return None

    @property
    def auth_strict(self) -> bool:
        return self.settings.auth == "strict"

    # ----- addresses handed to clients
    @property
    def public_host(self) -> str:
        if self.settings.public_host:
            return self.settings.public_host
        return f"{self.settings.host}:{self.http_port or self.settings.port}"

    def play_urls(self, stream_id: str, *, hls: bool = True) -> dict[str, str]:
        """Where players pull a stream from this emulator."""
        urls = {"flv": f"http://{self.public_host}/live/{stream_id}.flv"}
        if hls:
            urls["hls"] = f"http://{self.public_host}/live/{stream_id}/index.m3u8"
        if self.rtmp_port:
            host = self.public_host.rsplit(":", 1)[0]
            urls["rtmp"] = f"rtmp://{host}:{self.rtmp_port}/live/{stream_id}"
        return urls

    def describe(self) -> dict[str, Any]:
        return {
            "http": f"http://{self.public_host}",
            "rtmp": f"rtmp://{self.public_host.rsplit(':', 1)[0]}:{self.rtmp_port}/live"
            if self.rtmp_port
            else None,
            "data_dir": str(self.settings.data_dir),
            "media_roots": [str(r) for r in self.media_roots.roots],
            "auth": self.settings.auth,
            "media_mode": self.settings.media_mode,
            "max_tasks": self.tasks.max_tasks,
            "media_workers": 0 if self.workers is None else self.workers.size,
        }


def _media_pipeline_factory(
    hub: LiveHub, outbound: OutboundPolicy, jitter: float, hls_demand: HlsDemand
) -> PipelineFactory:
    def factory(job: Any, **kwargs: Any) -> Any:
        from emulator.media.pipeline import MixPipeline  # imported on first use: keeps start-up fast

        # a stopped task leaves no HLS folder; HLS is written while played
        return MixPipeline(
            job,
            hub=hub,
            keep_hls=False,
            push_check=outbound.refusal,
            jitter=jitter,
            hls_demand=hls_demand,
            **kwargs,
        )

    return factory
