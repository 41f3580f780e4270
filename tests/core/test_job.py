import pytest

from emulator.core.job import Canvas, FitMode, Layer, MixJob, Output, Rect, TextLabel, VideoSpec


def test_round_trip_through_json_dict() -> None:
    job = MixJob(
        canvas=Canvas(640, 360, color="#112233"),
        layers=[
            Layer("bg", "stream:a", z=1),
            Layer(
                "pip",
                "stream:b",
                z=2,
                rect=Rect(10, 20, 160, None),
                crop=Rect(0, 0, 100, 100),
                fit=FitMode.FILL,
            ),
            Layer("logo", "logo.png", z=3, rect=Rect(0, 0, 64, 64), label=TextLabel("hi")),
        ],
        outputs=[Output("out", video=VideoSpec(fps=15, bitrate=None, crf=23), push_urls=["rtmp://x/y"])],
        idle_timeout=900,
    )
    data = job.to_dict()
    assert data["layers"][1]["fit"] == "fill"
    assert MixJob.from_dict(data) == job


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"canvas": {"width": 2, "height": 2}, "layers": [{"id": "a", "source": "s", "zz": 1}]},
            r"layers\[0\]\.zz",
        ),
        ({"canvas": {"width": 2, "height": 2}, "layers": [{"id": "a", "source": "s", "fit": "x"}]}, "fit"),
        ({"canvas": {"width": 2}}, "canvas"),
        ({"canvas": {"width": 2, "height": 2}, "layers": {}}, "layers: expected a list"),
        ({"canvas": [1]}, "canvas: expected an object"),
    ],
)
def test_bad_json_names_the_field(data: dict, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        MixJob.from_dict(data)
