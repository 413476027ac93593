"""The `database` and `cti` sections: defaults, validation, environment, hidden password."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.app.paths import config_dir
from callcenter.app.settings import SettingsError, load_settings


def settings_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "callcenter.yaml"
    path.write_text(text)
    return path


def test_the_shipped_file_sets_the_embedded_database_and_the_ticket_promises() -> None:
    settings = load_settings(config_dir() / "callcenter.yaml", require_secrets=False)
    assert settings.database.url == "sqlite+aiosqlite:///var/callcenter.db"
    assert settings.cti.ticket_promises_h == {"complaint": 48, "request": 72, "inquiry": 24}
    assert settings.cti.crm_url_template is None


def test_a_password_in_the_database_url_is_never_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLCENTER_DATABASE__URL", "postgresql+asyncpg://cc:s3cret@db/cc")
    settings = load_settings(settings_file(tmp_path, "{}\n"))
    assert settings.database.url.endswith("cc:s3cret@db/cc")  # the engine gets it
    assert "s3cret" not in settings.model_dump_json()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("database:\n  url: mysql://x\n", "callcenter.yaml:2: database.url: Value error, use a"),
        ("cti:\n  crm_url_template: https://crm/x\n", "an http(s) URL containing {number}"),
        ("cti:\n  ticket_promises_h:\n    complaint: 0\n", "positive hours: complaint"),
        ("cti:\n  history_size: -1\n", "cti.history_size"),
        ("database:\n  batchsize: 5\n", "database.batchsize: Extra inputs are not permitted"),
    ],
)
def test_bad_values_are_named_with_file_and_line(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(settings_file(tmp_path, text))
    assert problem in str(caught.value)
