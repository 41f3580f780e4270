"""translate.py: ZEGO specs -> the MixJob the media engine runs, compared field by field with jobs written
out here (layers, outputs, canvas, SEI, ByPass, auto-mix), so every choice docs/zego.md states is pinned by
what it produces."""

from __future__ import annotations

from typing import Any

from emulator.core.job import (
    AudioSpec,
    Canvas,
    FitMode,
    Layer,
    MixJob,
    Output,
    Rect,
    SeiSpec,
    TextLabel,
    VideoSpec,
)
from emulator.core.streams import MediaInfo
from emulator.providers.zego.spec import (
    AutoMixSpec,
    Box,
    ExtraInput,
    InputSpec,
    Label,
    MixSpec,
    OutputSpec,
    Watermark,
)
from emulator.providers.zego.translate import auto_mix_inputs, auto_mix_job, mix_job, source_of

AAC_MONO = AudioSpec(sample_rate=44_100, channels=1, bitrate=48_000, codec="he-aac")


def nothing_published(_: str) -> MediaInfo | None:
    return None


def published(**streams: MediaInfo) -> Any:
    return lambda stream_id: streams.get(stream_id)


def spec(inputs: list[InputSpec], outputs: list[OutputSpec] | None = None, **fields: Any) -> MixSpec:
    outs = outputs if outputs is not None else [OutputSpec("out", width=320, height=180)]
    return MixSpec(task_id="t", user_id="u", inputs=inputs, outputs=outs, **fields)


def video(**fields: Any) -> VideoSpec:
    """The video of an output the size of the canvas, at OutputSpec's defaults (15 fps, constant quality,
    H.264: the parsers fill in ZEGO's 1 Mbps)."""
    values: dict[str, Any] = {"width": None, "height": None, "fps": 15.0, "bitrate": None, "crf": None}
    values.update(fields)
    return VideoSpec(codec=values.pop("codec", "h264"), **values)


def test_a_plain_mix() -> None:
    item = InputSpec(stream_id="a", box=Box(10, 20, 170, 110), layer=3)
    job = mix_job(
        spec([item], background_color="#102030", background_image="http://h/bg.png"), nothing_published
    )
    assert job == MixJob(
        canvas=Canvas(320, 180, "#102030", image="http://h/bg.png"),
        layers=[
            Layer(id="a", source="stream:a", z=3, rect=Rect(10, 20, 160, 90), fit=FitMode.FILL, volume=100)
        ],
        outputs=[Output("out", video=video(), audio=AAC_MONO, push_urls=[])],
        input_loss_timeout=0.0,
        idle_timeout=90.0,
        sei=None,
    )


def test_render_mode_1_fits_with_black_bars() -> None:
    item = InputSpec(stream_id="a", box=Box(0, 0, 16, 16), render_mode=1, volume=0, corner_radius=4)
    [layer] = mix_job(spec([item]), nothing_published).layers
    assert layer == Layer(
        id="a",
        source="stream:a",
        rect=Rect(0, 0, 16, 16),
        fit=FitMode.FIT,
        bar_color="#000000",
        volume=0,
        corner_radius=4,
    )


def test_content_control_1_and_2() -> None:
    audio_only = InputSpec(stream_id="a", box=Box(0, 0, 16, 16), content=1)
    video_only = InputSpec(stream_id="b", box=Box(0, 0, 16, 16), content=2, label=Label("b"))
    layers = mix_job(spec([audio_only, video_only]), nothing_published).layers
    assert layers == [
        Layer(id="a", source="stream:a", rect=None, fit=FitMode.FILL, video=False, audio=True),
        Layer(
            id="b",
            source="stream:b",
            rect=Rect(0, 0, 16, 16),
            fit=FitMode.FILL,
            video=True,
            audio=False,
            label=TextLabel("b", 24, "#ffffff", 0, 0),
        ),
    ]


def test_an_input_without_a_rectangle_is_heard_not_seen() -> None:
    item = InputSpec(stream_id="a", label=Label("x"), image_url="http://h/a.png")
    assert mix_job(spec([item]), nothing_published).layers == [
        Layer(id="a", source="stream:a", rect=None, fit=FitMode.FILL, video=False, audio=True)
    ]


def test_a_label_is_drawn_on_the_stream() -> None:
    label = Label("name", left=5, top=6, font_size=30, color="#ff0000")
    [layer] = mix_job(
        spec([InputSpec(stream_id="a", box=Box(0, 0, 16, 16), label=label)]), nothing_published
    ).layers
    assert layer.label == TextLabel(text="name", font_size=30, color="#ff0000", x=5, y=6)


def test_image_display_mode_0_replaces_the_picture_and_carries_the_label() -> None:
    item = InputSpec(
        stream_id="a",
        box=Box(2, 4, 18, 20),
        layer=5,
        corner_radius=3,
        image_url="http://h/a.png",
        label=Label("L"),
    )
    assert mix_job(spec([item]), nothing_published).layers == [
        Layer(
            id="a#image",
            source="http://h/a.png",
            z=5,
            rect=Rect(2, 4, 16, 16),
            fit=FitMode.STRETCH,
            audio=False,
            loop=True,
            keeps_alive=False,
            corner_radius=3,
            label=TextLabel("L"),
        ),
        Layer(
            id="a",
            source="stream:a",
            z=5,
            rect=Rect(2, 4, 16, 16),
            fit=FitMode.FILL,
            video=False,
            audio=True,
            corner_radius=3,
            label=None,
        ),
    ]


def test_image_display_modes_1_and_2_put_the_image_under_the_stream() -> None:
    for mode in (1, 2):
        item = InputSpec(
            stream_id="a",
            box=Box(0, 0, 16, 16),
            image_url="http://h/a.png",
            image_mode=mode,
            label=Label("L"),
        )
        image, stream = mix_job(spec([item]), nothing_published).layers
        assert (image.id, image.label, image.video, image.audio, image.loop) == (
            "a#image",
            None,
            True,
            False,
            True,
        )
        assert (stream.id, stream.video, stream.label) == ("a", True, TextLabel("L"))


def test_an_image_alone_is_a_picture_without_sound() -> None:
    item = InputSpec(box=Box(0, 0, 16, 16), image_url="http://h/a.png")
    [layer] = mix_job(spec([item]), nothing_published).layers
    assert (layer.id, layer.source, layer.audio, layer.keeps_alive, layer.label) == (
        "image:http://h/a.png#image",
        "http://h/a.png",
        False,
        False,
        None,
    )


def test_the_watermark_is_drawn_above_every_input() -> None:
    mark = Watermark("http://h/logo.png", Box(4, 6, 20, 30))
    job = mix_job(
        spec([InputSpec(stream_id="a", box=Box(0, 0, 16, 16), layer=2**32 - 1)], watermark=mark),
        nothing_published,
    )
    assert job.layers[-1] == Layer(
        id="watermark",
        source="http://h/logo.png",
        z=1 << 40,
        rect=Rect(4, 6, 16, 24),
        audio=False,
        loop=True,
        keeps_alive=False,
    )
    assert job.layers[-1].z > job.layers[0].z


def test_an_audio_only_mix_draws_nothing() -> None:
    item = InputSpec(stream_id="a", box=Box(0, 0, 1, 1))
    mark = Watermark("http://h/logo.png", Box(0, 0, 2, 2))
    mix = spec(
        [item],
        [OutputSpec("out", width=1, height=1, audio_codec=1, audio_bitrate=32_000, channels=2)],
        background_color="#ffffff",
        background_image="http://h/bg.png",
        watermark=mark,
    )
    assert mix_job(mix, nothing_published) == MixJob(
        canvas=Canvas(16, 16, "#ffffff", image=None),
        layers=[Layer(id="a", source="stream:a", rect=None, fit=FitMode.FILL, video=False)],
        outputs=[Output("out", video=None, audio=AudioSpec(44_100, 2, 32_000, "aac"))],
        input_loss_timeout=0.0,
        idle_timeout=90.0,
    )


# ----- outputs


def test_audio_codecs_and_their_sample_rates() -> None:
    expected = {0: (44_100, "he-aac"), 1: (44_100, "aac"), 2: (44_100, "mp3"), 3: (48_000, "opus")}
    for number, (rate, codec) in expected.items():
        out = OutputSpec("out", width=320, height=180, audio_codec=number, audio_bitrate=64_000, channels=2)
        [output] = mix_job(spec([InputSpec(stream_id="a")], [out]), nothing_published).outputs
        assert output.audio == AudioSpec(sample_rate=rate, channels=2, bitrate=64_000, codec=codec)


def test_output_video_settings() -> None:
    outs = [
        OutputSpec("big", width=640, height=360, fps=30, bitrate=2_000_000, video_codec="vp8"),
        OutputSpec("same", width=640, height=360, fps=20, bitrate=None, crf=28),
        OutputSpec("small", width=320, height=180, fps=19, bitrate=9_999),
        OutputSpec("heard", width=0, height=0),
        OutputSpec("pushed", push_url="rtmp://cdn/live/p", width=640, height=360, fps=21, bitrate=10_001),
    ]
    job = mix_job(spec([InputSpec(stream_id="a")], outs), nothing_published)
    assert job.canvas == Canvas(640, 360)
    assert [(o.stream_id, o.video, o.push_urls) for o in job.outputs] == [
        ("big", video(fps=20.0, bitrate=2_000_000, codec="vp8"), []),
        ("same", video(fps=20.0, bitrate=None, crf=28), []),
        ("small", video(width=320, height=180, fps=19.0, bitrate=10_000), []),
        ("heard", None, []),
        ("pushed", video(fps=20.0, bitrate=10_001), ["rtmp://cdn/live/p"]),
    ]


def test_the_frame_rate_limit_is_the_callers() -> None:
    outs = [OutputSpec("out", width=320, height=180, fps=60)]
    [output] = mix_job(spec([InputSpec(stream_id="a")], outs), nothing_published, max_fps=30).outputs
    assert output.video is not None and output.video.fps == 30.0
    [output] = mix_job(spec([InputSpec(stream_id="a")], outs), nothing_published, max_fps=61).outputs
    assert output.video is not None and output.video.fps == 60.0


def test_video_encode_h265_asks_for_h265() -> None:
    for value, codec in (("h265", "h265"), ("H265", "h265"), ("h264", "vp8"), ("", "vp8")):
        outs = [OutputSpec("out", width=320, height=180, video_codec="vp8")]
        mix = spec([InputSpec(stream_id="a")], outs, extra={"video_encode": value})
        [output] = mix_job(mix, nothing_published).outputs
        assert output.video is not None and output.video.codec == codec


# ----- SEI: UserData and sound levels


def test_no_user_data_and_no_sound_level_means_no_sei() -> None:
    ids = [InputSpec(stream_id="a", sound_level_id=1)]
    assert mix_job(spec(ids, user_data=b""), nothing_published).sei is None
    assert mix_job(spec(ids, sound_level=False), nothing_published).sei is None
    assert mix_job(spec([InputSpec(stream_id="a")], sound_level=True), nothing_published).sei is None


def test_user_data_goes_out_base64() -> None:
    job = mix_job(spec([InputSpec(stream_id="a", sound_level_id=1)], user_data=b"\x00hi"), nothing_published)
    assert job.sei == SeiSpec(user_data="AGhp", sound_levels={})


def test_sound_levels_by_input_key() -> None:
    inputs = [
        InputSpec(stream_id="a", sound_level_id=7),
        InputSpec(stream_url="rtmp://h/live/b", sound_level_id=0),
        InputSpec(stream_id="c"),
    ]
    job = mix_job(spec(inputs, sound_level=True), nothing_published)
    assert job.sei == SeiSpec(user_data=None, sound_levels={"a": 7, "rtmp://h/live/b": 0})


# ----- sources


def test_source_of() -> None:
    assert source_of("a", None, nothing_published) == "stream:a"
    assert source_of(None, "rtmp://h/live/b?k=1", published(b=MediaInfo())) == "stream:b"
    assert source_of("ignored", "rtmp://h/live/b", nothing_published) == "pull:rtmp://h/live/b"
    assert source_of(None, "http://h/live/b.flv", published(b=MediaInfo())) == "stream:b"


# ----- ByPass


def test_bypass_passes_the_one_stream_through_at_its_own_size() -> None:
    item = InputSpec(stream_id="a", box=Box(0, 0, 16, 16), volume=50, label=Label("x"))
    image = InputSpec(box=Box(0, 0, 16, 16), image_url="http://h/a.png")
    outs = [OutputSpec("out", width=320, height=180), OutputSpec("small", width=160, height=90)]
    mix = spec(
        [item, image],
        outs,
        bypass=True,
        user_data=b"u",
        watermark=Watermark("http://h/w.png", Box(0, 0, 2, 2)),
    )
    job = mix_job(mix, published(a=MediaInfo(width=640, height=480)))
    assert job == MixJob(
        canvas=Canvas(640, 480),
        layers=[Layer(id="a", source="stream:a", audio=True, volume=50)],
        outputs=[
            Output("out", video=video(), audio=AAC_MONO),
            Output("small", video=video(), audio=AAC_MONO),
        ],
        input_loss_timeout=0.0,
        idle_timeout=90.0,
        sei=SeiSpec(user_data="dQ==", sound_levels={}),
    )


def test_bypass_uses_the_requests_size_while_the_streams_is_unknown() -> None:
    item = InputSpec(stream_id="a", content=2)
    for info in (None, MediaInfo(width=None, height=480), MediaInfo(width=640, height=None)):
        job = mix_job(spec([item], bypass=True), published(a=info) if info else nothing_published)
        expected = (
            (640 if info and info.width else 320),
            (480 if info and info.height else 180),
        )
        assert (job.canvas.width, job.canvas.height) == expected
        assert job.layers == [Layer(id="a", source="stream:a", audio=False)]


def test_bypass_of_a_url_reads_the_published_stream_it_names() -> None:
    item = InputSpec(stream_url="rtmp://h/live/b")
    job = mix_job(spec([item], bypass=True), published(b=MediaInfo(width=200, height=100)))
    assert (job.canvas, job.layers) == (Canvas(200, 100), [Layer(id="rtmp://h/live/b", source="stream:b")])
    job = mix_job(spec([item], bypass=True), nothing_published)  # pulled: its size is not known yet
    assert (job.canvas, job.layers[0].source) == (Canvas(320, 180), "pull:rtmp://h/live/b")


def test_bypass_needs_exactly_one_stream_and_a_video_output() -> None:
    two = [InputSpec(stream_id="a", box=Box(0, 0, 16, 16)), InputSpec(stream_id="b", box=Box(0, 0, 16, 16))]
    job = mix_job(spec(two, bypass=True), published(a=MediaInfo(width=640, height=480)))
    assert job.canvas == Canvas(320, 180) and [layer.id for layer in job.layers] == ["a", "b"]
    audio = spec([InputSpec(stream_id="a")], [OutputSpec("o", width=1, height=1)], bypass=True)
    assert mix_job(audio, published(a=MediaInfo(width=640, height=480))).canvas == Canvas(16, 16)
    off = spec([InputSpec(stream_id="a", box=Box(0, 0, 16, 16))], bypass=False)
    job = mix_job(off, published(a=MediaInfo(width=640, height=480)))
    assert job.canvas == Canvas(320, 180) and job.layers[0].rect == Rect(0, 0, 16, 16)


# ----- auto-mix


def auto(extra: list[ExtraInput], outputs: list[OutputSpec] | None = None) -> AutoMixSpec:
    outs = outputs if outputs is not None else [OutputSpec("out", audio_codec=3, channels=2)]
    return AutoMixSpec(task_id="a", user_id="u", room_id="r", outputs=outs, extra=extra)


def test_auto_mix_inputs_are_the_room_minus_removed_plus_added() -> None:
    extra = [
        ExtraInput("gone", None, remove=True),
        ExtraInput(None, "rtmp://h/live/x"),
        ExtraInput("r1", None),  # already in the room
        ExtraInput("new", None),
    ]
    assert auto_mix_inputs(auto(extra), ["r1", "gone", "r2"]) == ["r1", "r2", "rtmp://h/live/x", "new"]
    assert auto_mix_inputs(auto([]), []) == []


def test_an_auto_mix_is_audio_only_with_at_most_9_inputs() -> None:
    room = [f"s{i}" for i in range(8)]
    extra = [
        ExtraInput("s3", None, volume=150),
        ExtraInput(None, "rtmp://h/live/x", volume=20),
        ExtraInput("late", None),
    ]
    job = auto_mix_job(auto(extra), room, nothing_published)
    expected_layers = [
        Layer(id=s, source=f"stream:{s}", video=False, audio=True, volume=150 if s == "s3" else 100)
        for s in room
    ] + [Layer(id="rtmp://h/live/x", source="pull:rtmp://h/live/x", video=False, volume=20)]
    assert job == MixJob(
        canvas=Canvas(16, 16),
        layers=expected_layers,
        outputs=[Output("out", video=None, audio=AudioSpec(48_000, 2, 48_000, "opus"))],
        input_loss_timeout=0.0,
        idle_timeout=90.0,
    )


def test_an_auto_mix_output_never_carries_video() -> None:
    outs = [OutputSpec("out", width=320, height=180, fps=60, push_url="rtmp://cdn/live/out")]
    [output] = auto_mix_job(auto([], outs), ["a"], nothing_published).outputs
    assert output == Output("out", video=None, audio=AAC_MONO, push_urls=["rtmp://cdn/live/out"])


def test_an_input_url_reads_the_stream_it_names_or_is_pulled() -> None:
    item = InputSpec(stream_id="ignored", stream_url="rtmp://h/live/b", box=Box(0, 0, 16, 16))
    [layer] = mix_job(spec([item]), nothing_published).layers
    assert (layer.id, layer.source) == ("rtmp://h/live/b", "pull:rtmp://h/live/b")
    [layer] = mix_job(spec([item]), published(b=MediaInfo())).layers
    assert (layer.id, layer.source) == ("rtmp://h/live/b", "stream:b")


def test_an_audio_codec_no_parser_produces_is_encoded_as_aac() -> None:
    out = OutputSpec("out", width=320, height=180, audio_codec=9)
    [output] = mix_job(spec([InputSpec(stream_id="a")], [out]), nothing_published).outputs
    assert output.audio == AudioSpec(sample_rate=44_100, channels=1, bitrate=48_000, codec="aac")
