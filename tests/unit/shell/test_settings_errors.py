"""Settings that cannot be used say which and why, and never show a password (issue 14, item 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callcenter.app.settings import Settings, SettingsError, load_settings, mask_url

CONFIG = Path(__file__).resolve().parents[3] / "config" / "callcenter.yaml"


def test_given_broken_servers_json_in_the_environment_then_the_error_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CALLCENTER_ASTERISK__SERVERS", '[{"name": "pbx1",')
    with pytest.raises(SettingsError) as caught:
        load_settings(CONFIG, require_secrets=False)
    assert str(caught.value) == (
        "CALLCENTER_ASTERISK__SERVERS (environment): not valid JSON: "
        "Expecting property name enclosed in double quotes: line 1 column 18 (char 17)"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "mysql://bob:s3cr@t@db/x",
            "use a sqlite+aiosqlite:/// or postgresql+asyncpg:// URL, not mysql://bob:***@db/x",
        ),
        ("postgresql+nosuch://bob:s3cr@t@db/x", "URL, not postgresql+nosuch://bob:***@db/x"),
        (
            "postgresql+asyncpg://bob:s3cr@t@db:port/x",
            "not a database URL: postgresql+asyncpg://bob:***@db:port/x, the port is not a number",
        ),
        ("bob:s3cr@t", "not a database URL: (the value is not shown), cannot be parsed"),
    ],
)
def test_given_an_invalid_database_url_then_the_error_names_it_without_its_password(
    monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.setenv("CALLCENTER_DATABASE__URL", url)
    with pytest.raises(SettingsError) as caught:
        load_settings(CONFIG, require_secrets=False)
    text = str(caught.value)
    assert text.startswith("CALLCENTER_DATABASE__URL (environment): database.url: ")
    assert message in text
    assert "s3cr" not in text


def test_given_a_password_with_an_at_sign_then_config_check_shows_none_of_it() -> None:
    settings = Settings(database={"url": "postgresql+asyncpg://bob:s3cr@t!@db.example/cc"})
    shown = json.loads(settings.model_dump_json())["database"]["url"]
    assert shown == "postgresql+asyncpg://bob:***@db.example/cc"
    assert settings.database.shown_url == shown


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("sqlite+aiosqlite:///var/demo.db", "sqlite+aiosqlite:///var/demo.db"),
        ("postgresql://bob@db/cc", "postgresql://bob@db/cc"),
        ("postgresql://bob:@db/cc", "postgresql://bob:***@db/cc"),
        ("postgresql://bob:a:b@db:5432/cc?ssl=1", "postgresql://bob:***@db:5432/cc?ssl=1"),
        (
            "https://user:pw@crm.example/api?tel={number}",
            "https://user:***@crm.example/api?tel={number}",
        ),
    ],
)
def test_mask_url_hides_exactly_the_password(url: str, masked: str) -> None:
    assert mask_url(url) == masked
