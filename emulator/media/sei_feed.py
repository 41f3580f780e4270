"""The SEI messages of one output frame, from the job's :class:`~emulator.core.job.SeiSpec`.

Byte layout (the providers publish none; docs/zego.md and docs/tencent.md repeat it). Each message is a
user_data_unregistered SEI (payloadType 5) whose 16-byte UUID is readable ASCII:

- ``mixemu.userdata.`` + the user data bytes as given (ZEGO UserData decoded from base64, Tencent MixSei);
- ``mixemu.soundlvl.`` + one byte N + N entries of (sound level id: uint32 big-endian, level: uint8 0..100),
  the inputs' sound levels (ZEGO SoundLevel), refreshed ten times a second;
- an input's own messages, unchanged (Tencent PassInputSei), in the first output frame composed from the
  input frame that carried them.

Cadence: user data and sound levels in every video frame of every output; after an update of the job the
next frame carries the new data.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from functools import lru_cache

import av

from emulator.core.job import SeiSpec
from emulator.media.sei import ENCODER_INFO_UUIDS, UUID_SIZE, SeiMessage

USER_DATA_UUID = b"mixemu.userdata."
SOUND_LEVEL_UUID = b"mixemu.soundlvl."
MAX_LEVELS = 255  # entries one sound-level message holds (its count is one byte)


def frame_messages(
    spec: SeiSpec | None, levels: Mapping[str, float], passed: Sequence[SeiMessage] = ()
) -> list[SeiMessage]:
    """What the next output frame carries: user data, sound levels, then the inputs' passed-through SEI."""
    if spec is None:
        return []
    messages: list[SeiMessage] = []
    if spec.user_data:
        data = _decoded(spec.user_data)
        if data:
            messages.append(SeiMessage(USER_DATA_UUID, data))
    if spec.sound_levels:
        messages.append(sound_level_message(spec.sound_levels, levels))
    if spec.pass_input:
        messages.extend(passed)
    return messages


def sei_of_frame(frame: av.VideoFrame) -> list[SeiMessage]:
    """The user_data_unregistered messages a decoded frame carried (FFmpeg's H.264/H.265 decoders export
    them as frame side data, whatever the container: RTMP, FLV, MP4, TS), encoders' banners left out."""
    found: list[SeiMessage] = []
    for side in frame.side_data:
        if side.type.name != "SEI_UNREGISTERED":
            continue
        data = bytes(side)
        if len(data) >= UUID_SIZE and data[:UUID_SIZE] not in ENCODER_INFO_UUIDS:
            found.append(SeiMessage(data[:UUID_SIZE], data[UUID_SIZE:]))
    return found


def sound_level_message(ids: Mapping[str, int], levels: Mapping[str, float]) -> SeiMessage:
    entries = list(ids.items())[:MAX_LEVELS]
    body = bytearray((len(entries),))
    for layer_id, level_id in entries:
        level = max(0, min(100, round(levels.get(layer_id, 0.0))))
        body += (level_id & 0xFFFFFFFF).to_bytes(4, "big") + bytes((level,))
    return SeiMessage(SOUND_LEVEL_UUID, bytes(body))


def parse_sound_levels(payload: bytes) -> dict[int, int]:
    """Sound level id -> level, read back from a ``mixemu.soundlvl.`` payload (tests, players)."""
    count = payload[0] if payload else 0
    return {
        int.from_bytes(payload[1 + 5 * i : 5 + 5 * i], "big"): payload[5 + 5 * i]
        for i in range(count)
        if 6 + 5 * i <= len(payload)
    }


@lru_cache(maxsize=64)
def _decoded(user_data: str) -> bytes:
    try:
        return base64.b64decode(user_data, validate=True)
    except (binascii.Error, ValueError):  # providers validate it: a bad job only loses its user data
        return b""
