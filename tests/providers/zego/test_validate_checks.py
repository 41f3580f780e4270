"""checks.py: a mix request against the emulator's live state (a real context: its stream registry, URL map
and media roots): inputs that must be published, output names that must be free, the test environment's
``zegotest-AppId-`` prefix, and pictures that must exist and weigh at most 1 MB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.config import Settings
from emulator.context import EmulatorContext
from emulator.providers.zego import checks
from emulator.providers.zego.errors import ZegoError
from emulator.providers.zego.spec import OutputSpec

IMAGE_FETCH, INPUT_NOT_FOUND, OUTPUT_FORMAT, DUPLICATE_OUTPUT = 142, 150, 156, 176


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[EmulatorContext]:
    yield EmulatorContext.create(Settings(data_dir=tmp_path, media_workers=0))


def refused(call: Any) -> ZegoError:
    with pytest.raises(ZegoError) as caught:
        call()
    return caught.value


def test_the_test_prefix() -> None:
    assert checks.test_prefix(12345) == "zegotest-12345-"


def test_a_stream_exists_when_published_or_produced_by_a_mix(ctx: EmulatorContext) -> None:
    assert not checks.stream_exists(ctx, "s")
    ctx.registry.publish("s", "pattern:color")
    assert checks.stream_exists(ctx, "s")
    ctx.registry.claim_outputs("task", ["mixed"])
    assert checks.stream_exists(ctx, "mixed")
    ctx.registry.release_outputs("task")
    assert not checks.stream_exists(ctx, "mixed")


def test_inputs_must_be_published(ctx: EmulatorContext) -> None:
    ctx.registry.publish("a", "pattern:color")
    ctx.registry.claim_outputs("other", ["b"])
    checks.check_inputs(ctx, ["a", "b"], app_id=1, is_test=False)
    error = refused(lambda: checks.check_inputs(ctx, ["a", "c"], app_id=1, is_test=False))
    assert (error.number, error.detail) == (INPUT_NOT_FOUND, "'c' is not being published")
    error = refused(lambda: checks.check_inputs(ctx, ["c"], app_id=1, is_test=True))
    assert (error.number, error.detail) == (
        INPUT_NOT_FOUND,
        "'c' is not being published (test environment: stream ids start with zegotest-1-)",
    )


def test_test_environment_inputs_carry_the_prefix(ctx: EmulatorContext) -> None:
    ctx.registry.publish("a", "pattern:color")
    ctx.registry.publish("zegotest-7-a", "pattern:color")
    checks.check_inputs(ctx, ["zegotest-7-a"], app_id=7, is_test=True)
    checks.check_inputs(ctx, ["a"], app_id=7, is_test=False)
    error = refused(lambda: checks.check_inputs(ctx, ["zegotest-7-a", "a"], app_id=7, is_test=True))
    assert (error.number, error.detail) == (
        INPUT_NOT_FOUND,
        "'a': test environment ids start with zegotest-7-",
    )
    error = refused(lambda: checks.check_inputs(ctx, ["zegotest-7-a"], app_id=8, is_test=True))
    assert error.detail == "'zegotest-7-a': test environment ids start with zegotest-8-"


def test_test_environment_outputs_carry_the_prefix_unless_pushed_to_a_url(ctx: EmulatorContext) -> None:
    named = [OutputSpec("zegotest-7-out")]
    checks.check_outputs(ctx, named, task_id="t", app_id=7, is_test=True)
    checks.check_outputs(ctx, [OutputSpec("out")], task_id="t", app_id=7, is_test=False)
    pushed = [OutputSpec("out", push_url="rtmp://cdn/live/out")]
    checks.check_outputs(ctx, pushed, task_id="t", app_id=7, is_test=True)
    error = refused(
        lambda: checks.check_outputs(ctx, [*named, OutputSpec("out")], task_id="t", app_id=7, is_test=True)
    )
    assert (error.number, error.detail) == (
        OUTPUT_FORMAT,
        "'out': test environment ids start with zegotest-7-",
    )


def test_an_output_of_another_task_is_refused_but_a_tasks_own_is_not(ctx: EmulatorContext) -> None:
    ctx.registry.claim_outputs("task-1", ["out"])
    checks.check_outputs(ctx, [OutputSpec("out")], task_id="task-1", app_id=1, is_test=False)  # an update
    error = refused(
        lambda: checks.check_outputs(ctx, [OutputSpec("out")], task_id="task-2", app_id=1, is_test=False)
    )
    assert (error.number, error.detail) == (DUPLICATE_OUTPUT, "'out' is already the output of task task-1")
    checks.check_outputs(ctx, [OutputSpec("free")], task_id="task-2", app_id=1, is_test=False)


def test_an_image_mapped_to_a_file_must_weigh_at_most_1_mb(ctx: EmulatorContext, tmp_path: Path) -> None:
    exactly, over = tmp_path / "media" / "exactly.png", tmp_path / "media" / "over.png"
    exactly.write_bytes(b"\0" * 1024 * 1024)
    over.write_bytes(b"\0" * (1024 * 1024 + 1))
    ctx.urls.add("http://cdn/exactly.png", str(exactly))
    ctx.urls.add("http://cdn/over.png", str(over))
    checks.check_images(ctx, ["http://cdn/exactly.png"])
    error = refused(lambda: checks.check_images(ctx, ["http://cdn/exactly.png", "http://cdn/over.png"]))
    assert (error.number, error.detail) == (
        IMAGE_FETCH,
        "'http://cdn/over.png' is 1048577 bytes, more than 1 MB",
    )


def test_an_image_mapped_to_a_missing_file_cannot_be_fetched(ctx: EmulatorContext, tmp_path: Path) -> None:
    missing = tmp_path / "media" / "gone.png"
    ctx.urls.add("http://cdn/gone.png", str(missing))
    error = refused(lambda: checks.check_images(ctx, ["http://cdn/gone.png"]))
    assert error.number == IMAGE_FETCH
    assert error.detail.startswith("'http://cdn/gone.png': file not found or outside the media roots (")
    assert error.detail.endswith(f"): {missing}")


def test_unmapped_and_non_file_images_are_left_to_the_media_engine(ctx: EmulatorContext) -> None:
    ctx.urls.add("http://cdn/pattern.png", "pattern:color?color=#ff0000&size=16x16")
    checks.check_images(ctx, ["http://cdn/unmapped.png", "preset-id://bg", "http://cdn/pattern.png"])
    checks.check_images(ctx, [])


def test_every_image_is_checked_after_one_the_resolver_does_not_know(
    ctx: EmulatorContext, tmp_path: Path
) -> None:
    over = tmp_path / "media" / "over.png"
    over.write_bytes(b"\0" * (1024 * 1024 + 1))
    ctx.urls.add("http://cdn/unpublished.png", "stream:nobody")  # resolves to nothing yet
    ctx.urls.add("http://cdn/over.png", str(over))
    error = refused(lambda: checks.check_images(ctx, ["http://cdn/unpublished.png", "http://cdn/over.png"]))
    assert (error.number, error.detail) == (
        IMAGE_FETCH,
        "'http://cdn/over.png' is 1048577 bytes, more than 1 MB",
    )
