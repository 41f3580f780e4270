"""Two-input mixes started and stopped through the three providers' signed APIs, for the soak and load
benchmarks and the endurance tests: the test kit's signed callers (emulator/kit: ZEGO's MD5 signature,
Tencent's legacy ``sign``, Volcengine's SigV4) with small request bodies, and the control API's client."""

from __future__ import annotations

from typing import Any

from emulator.client import ControlClient
from emulator.kit.http import ProviderAnswer
from emulator.kit.signed_tencent import TencentLegacy
from emulator.kit.signed_volcengine import Volcengine
from emulator.kit.signed_zego import ZegoRtc


class ProviderError(AssertionError):
    """A provider refused a request the caller expected to succeed."""


class SignedClients:
    """One emulator's provider APIs and its control API. Every start names two published streams
    (``inputs``) on a ``size`` canvas at ``fps``; ids must be unique per emulator run."""

    def __init__(self, base_url: str, *, size: tuple[int, int] = (160, 90), fps: int = 10) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = self.base_url.split("://", 1)[1]
        self.size, self.fps = size, fps
        self.control = ControlClient(self.base_url)
        self.zego = ZegoRtc(self.base_url)
        self.tencent = TencentLegacy(self.base_url)
        self.volcengine = Volcengine(self.base_url, self.host)

    # ----- ZEGO rtc-api
    def zego_start(self, task: str, inputs: tuple[str, str], output: str) -> ProviderAnswer:
        w, h = self.size
        body = {
            "TaskId": task,
            "UserId": "soak",
            "MixInput": [
                {"StreamId": inputs[0], "RectInfo": {"Left": 0, "Top": 0, "Right": w // 2, "Bottom": h}},
                {"StreamId": inputs[1], "RectInfo": {"Left": w // 2, "Top": 0, "Right": w, "Bottom": h}},
            ],
            "MixOutput": [{"StreamId": output, "Width": w, "Height": h, "Fps": self.fps}],
        }
        return self.zego.call("StartMix", body)

    def zego_stop(self, task: str) -> ProviderAnswer:
        return self.zego.call("StopMix", {"TaskId": task, "UserId": "soak"})

    # ----- Tencent legacy CGI (Mix_StreamV2)
    def tencent_start(self, session: str, inputs: tuple[str, str], output: str) -> ProviderAnswer:
        w, h = self.size
        streams = [
            {"input_stream_id": inputs[0], "layout_params": {"image_layer": 1}},
            {
                "input_stream_id": inputs[1],
                "layout_params": {"image_layer": 2, "image_width": w // 2, "image_height": h // 2},
            },
        ]
        return self.tencent.start(session, output, streams, output_stream_type=1)

    # ----- Volcengine Live (2023-01-01)
    def volcengine_create(self, name: str, inputs: tuple[str, str]) -> ProviderAnswer:
        w, h = self.size
        sources = [{"ID": s, "Layer": i + 1, "Type": "live", "Url": s} for i, s in enumerate(inputs)]
        boxes = [
            {"X": 0, "Y": 0, "W": w, "H": h, "Layer": 1},
            {"X": 0, "Y": 0, "W": w // 2, "H": h, "Layer": 2},
        ]
        body = {
            "Name": name,
            "MixedRules": {
                "InputSource": sources,
                "InputLayout": {"Scene": {"Width": w, "Height": h, "Layout": boxes}},
                "Output": {
                    "Video": {"BitRate": 300_000, "FrameRate": self.fps, "GOP": 2, "Codec": "h264"},
                    "Audio": {"BitRate": 128_000, "SampleRate": 44100, "ChannelLayout": "stereo"},
                    "Url": ["push.example.com"],  # no scheme: accepted, not pushed (docs/volcengine.md)
                },
            },
        }
        return self.volcengine.create(body)


def expect_ok(provider: str, answer: ProviderAnswer) -> Any:
    """The answer of a request that must succeed (each provider's envelope); raises ProviderError."""
    if provider == "volcengine":
        if answer.status != 200 or "Error" in answer.get("ResponseMetadata", {}):
            raise ProviderError(f"volcengine: HTTP {answer.status} {dict(answer)}")
        return answer["Result"]
    code = answer.get("Code") if provider == "zego" else answer.get("code")
    if code != 0:
        raise ProviderError(f"{provider}: {dict(answer)}")
    return answer
