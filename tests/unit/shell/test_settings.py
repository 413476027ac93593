"""Settings: the shipped file, environment overrides, and errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.app.paths import config_dir
from callcenter.app.settings import SettingsError, load_settings

SHIPPED = config_dir() / "callcenter.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "callcenter.yaml"
    path.write_text(text)
    return path


def test_the_shipped_settings_load_when_the_secret_is_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CALLCENTER_AMI_SECRET_PBX1", "from-env")
    settings = load_settings(SHIPPED)
    (server,) = settings.asterisk.servers
    assert server.name == "pbx1"
    assert server.secret is not None
    assert server.secret.get_secret_value() == "from-env"
    assert "from-env" not in repr(settings)
    assert settings.fastagi.port == 4573


def test_a_missing_secret_names_the_variable_to_set_and_the_line() -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(SHIPPED)
    message = str(err.value)
    assert "CALLCENTER_AMI_SECRET_PBX1" in message
    assert f"{SHIPPED}:" in message
    assert "asterisk.servers[0] (pbx1)" in message


def test_the_demo_may_start_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALLCENTER_AMI_SECRET_PBX1", raising=False)
    settings = load_settings(SHIPPED, require_secrets=False)
    assert settings.asterisk.servers[0].secret is None


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = write(tmp_path, "fastagi:\n  port: 4573\n  max_sessions: 10\n")
    monkeypatch.setenv("CALLCENTER_FASTAGI__PORT", "4999")
    settings = load_settings(path)
    assert settings.fastagi.port == 4999
    assert settings.fastagi.max_sessions == 10


def test_a_wrong_type_names_file_line_key_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, "service:\n  name: x\nfastagi:\n  host: 0.0.0.0\n  port: abc\n")
    with pytest.raises(SettingsError) as err:
        load_settings(path)
    assert str(err.value).startswith(f"{path}:5: fastagi.port: ")
    assert "'abc'" in str(err.value)


def test_a_misspelt_key_is_an_error_not_a_silent_default(tmp_path: Path) -> None:
    path = write(tmp_path, "fastagi:\n  prot: 4574\n")
    with pytest.raises(SettingsError, match=r":2: fastagi\.prot: Extra inputs are not permitted"):
        load_settings(path)


def test_a_bad_environment_value_is_blamed_on_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CALLCENTER_FASTAGI__PORT", "not-a-port")
    with pytest.raises(SettingsError, match=r"CALLCENTER_FASTAGI__PORT \(environment\)"):
        load_settings(write(tmp_path, "{}\n"))


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "asterisk:\n  servers:\n    - name: a\n      username: u\n      port: 99999\n"
        "    - name: bad name\n      username: u\n",
    )
    with pytest.raises(SettingsError) as err:
        load_settings(path)
    lines = str(err.value).splitlines()
    assert any(":5: asterisk.servers[0].port" in line for line in lines)
    assert any(":6: asterisk.servers[1].name" in line for line in lines)


def test_duplicate_server_names_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "asterisk:\n  servers:\n    - {name: a, username: u, secret: s}\n"
        "    - {name: a, username: u, secret: s}\n",
    )
    with pytest.raises(SettingsError, match="unique, repeated: a"):
        load_settings(path)


def test_broken_yaml_gives_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=rf"{tmp_path}/callcenter.yaml:3:1: not valid YAML"):
        load_settings(write(tmp_path, "fastagi:\n  port: [\n"))


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="must be a mapping"):
        load_settings(write(tmp_path, "- just\n- a list\n"))


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read the settings file"):
        load_settings(tmp_path / "nope.yaml")


def test_an_empty_file_means_all_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""))
    assert settings.asterisk.servers == []
    assert settings.service.log_level == "info"


def test_callback_retries_are_set_and_a_bad_count_says_where(tmp_path: Path) -> None:
    shipped = load_settings(SHIPPED, require_secrets=False).telephony
    assert (shipped.callback_max_attempts, shipped.callback_retry_s) == (3, 300)
    path = write(tmp_path, "telephony:\n  callback_max_attempts: 0\n")
    with pytest.raises(SettingsError) as err:
        load_settings(path)
    assert str(err.value).startswith(f"{path}:2: telephony.callback_max_attempts: ")
    assert "greater than or equal to 1" in str(err.value)
