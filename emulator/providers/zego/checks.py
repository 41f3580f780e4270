"""Checks of a mix request against the emulator's live state: streams that must exist, output names that
must be free, the test environment's stream-id prefix, and pictures that must be fetchable and <= 1 MB."""

from __future__ import annotations

from pathlib import Path

from emulator.context import EmulatorContext
from emulator.core.resolver import INVALID_PREFIX
from emulator.providers.zego.errors import (
    DUPLICATE_OUTPUT,
    IMAGE_FETCH,
    INPUT_NOT_FOUND,
    OUTPUT_FORMAT,
    ZegoError,
)
from emulator.providers.zego.spec import OutputSpec

MAX_IMAGE_BYTES = 1024 * 1024


def test_prefix(app_id: int) -> str:
    return f"zegotest-{app_id}-"


def stream_exists(ctx: EmulatorContext, stream_id: str) -> bool:
    """Published by an anchor (control API, RTMP) or produced by a running mix."""
    return ctx.registry.get(stream_id) is not None or ctx.registry.output_owner(stream_id) is not None


def check_inputs(ctx: EmulatorContext, stream_ids: list[str], *, app_id: int, is_test: bool) -> None:
    """Every input stream id must be live; in the test environment ids carry the ``zegotest-AppId-`` prefix
    (without it the mixer pulls a stream nobody publishes)."""
    prefix = test_prefix(app_id)
    for stream_id in stream_ids:
        if stream_exists(ctx, stream_id):
            if is_test and not stream_id.startswith(prefix):
                raise ZegoError(INPUT_NOT_FOUND, f"{stream_id!r}: test environment ids start with {prefix}")
            continue
        hint = f" (test environment: stream ids start with {prefix})" if is_test else ""
        raise ZegoError(INPUT_NOT_FOUND, f"{stream_id!r} is not being published{hint}")


def check_outputs(
    ctx: EmulatorContext, outputs: list[OutputSpec], *, task_id: str, app_id: int, is_test: bool
) -> None:
    """Output names must not be produced by another task; test-environment names carry the prefix."""
    prefix = test_prefix(app_id)
    for output in outputs:
        if is_test and output.push_url is None and not output.stream_id.startswith(prefix):
            raise ZegoError(OUTPUT_FORMAT, f"{output.stream_id!r}: test environment ids start with {prefix}")
        owner = ctx.registry.output_owner(output.stream_id)
        if owner is not None and owner != task_id:
            raise ZegoError(DUPLICATE_OUTPUT, f"{output.stream_id!r} is already the output of task {owner}")


def check_images(ctx: EmulatorContext, urls: list[str]) -> None:
    """Pictures mapped to local files (POST /_emulator/urls) must exist and weigh at most 1 MB; unmapped
    URLs are fetched by the media engine when the mix runs."""
    for url in urls:
        resolved = ctx.tasks.resolver(url)
        if resolved is None:
            continue
        if resolved.spec.startswith(INVALID_PREFIX):
            raise ZegoError(IMAGE_FETCH, f"{url!r}: {resolved.spec[len(INVALID_PREFIX) :]}")
        size = _file_size(resolved.spec) if resolved.spec != url else None
        if size is not None and size > MAX_IMAGE_BYTES:
            raise ZegoError(IMAGE_FETCH, f"{url!r} is {size} bytes, more than 1 MB")


def _file_size(spec: str) -> int | None:
    try:
        return Path(spec).stat().st_size  # the resolver names only files that exist
    except (OSError, ValueError):  # not a path at all (a URL, a pattern, a name too long)
        return None
