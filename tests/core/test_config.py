from pathlib import Path

import pytest

from emulator.config import Settings, SettingsError, load_settings


def test_defaults_match_the_readme() -> None:
    settings = load_settings(env={})
    assert (settings.host, settings.port, settings.rtmp_port) == ("127.0.0.1", 8080, 1935)
    assert settings.auth == "strict" and settings.media_mode == "realtime"
    creds = {(c.provider, c.app_id): c.secret for c in settings.credentials}
    assert creds[("tencent", "1252500000")] == "40328529ca4381a80c6ecf2e6aa57438"
    assert creds[("zego", "12345")] == "9193cc662a4c0ec135ec71fb57194b38"
    assert creds[("volcengine", "AKLTemulator")] == "emulator-secret"


def test_layers_file_then_env_then_flags(tmp_path: Path) -> None:
    config = tmp_path / "emu.toml"
    config.write_text(
        '[emulator]\nport = 9000\nauth = "off"\nrtmp_port = "off"\n'
        '[[credentials.tencent]]\napp_id = "1300000000"\nsecret = "k2"\n'
        "[providers.volcengine]\nrate_limit = true\n"
    )
    settings = load_settings(
        config, env={"MIXEMU_PORT": "9100", "MIXEMU_DATA_DIR": "/tmp/x"}, overrides={"port": 0}
    )
    assert settings.port == 0  # the flag wins over env and file
    assert settings.auth == "off" and settings.rtmp_port is None
    assert settings.data_dir == Path("/tmp/x")
    assert settings.provider_option("volcengine", "rate_limit") is True
    assert ("tencent", "1300000000", "k2") in [(c.provider, c.app_id, c.secret) for c in settings.credentials]


def test_config_file_from_env_var(tmp_path: Path) -> None:
    config = tmp_path / "emu.toml"
    config.write_text('[emulator]\nmedia_mode = "fast"\n')
    assert load_settings(env={"MIXEMU_CONFIG": str(config)}).media_mode == "fast"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MIXEMU_PORT": "http"}, "MIXEMU_PORT"),
        ({"MIXEMU_PORT": "70000"}, "out of range"),
        ({"MIXEMU_AUTH": "maybe"}, "strict or off"),
        ({"MIXEMU_MEDIA_MODE": "slow"}, "realtime or fast"),
    ],
)
def test_bad_values_name_their_source(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(env=env)


def test_bad_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="config file"):
        load_settings(tmp_path / "missing.toml", env={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[emulator\nport=")
    with pytest.raises(SettingsError, match="config file"):
        load_settings(broken, env={})
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[emulator]\ncolour = 1\n")
    with pytest.raises(SettingsError, match="unknown setting 'colour'"):
        load_settings(unknown, env={})


def test_media_roots_include_data_media_and_fixtures(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, media_roots=[tmp_path / "extra"])
    roots = settings.all_media_roots()
    assert roots[0] == (tmp_path / "media").resolve()
    assert roots[1].name == "fixtures"
    assert roots[2] == (tmp_path / "extra").resolve()


def test_media_workers_and_jitter() -> None:
    assert load_settings(env={}).media_workers is None  # serve: one worker per usable core
    assert load_settings(env={}).worker_count() >= 1
    chosen = load_settings(env={"MIXEMU_MEDIA_WORKERS": "0", "MIXEMU_JITTER_MS": "40"})
    assert (chosen.media_workers, chosen.worker_count(), chosen.jitter_ms) == (0, 0, 40)
    assert load_settings(env={}, overrides={"media_workers": "auto"}).media_workers is None
    for bad in ("-1", "many", "1000"):
        with pytest.raises(SettingsError, match="media_workers"):
            load_settings(env={"MIXEMU_MEDIA_WORKERS": bad})
