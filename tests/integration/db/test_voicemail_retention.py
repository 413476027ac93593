"""Voicemail retention: old messages lose their file and are marked expired; new ones stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.app.settings import Settings
from callcenter.db import RecordVoicemail, VoicemailRepository, VoicemailStatus
from callcenter.live.voicemail_retention import VoicemailRetention

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


async def _leave(
    sessions: async_sessionmaker[AsyncSession], folder: Path, call_id: str, days_ago: float
) -> Path:
    async with sessions() as session, session.begin():
        at = NOW - timedelta(days=days_ago)
        await RecordVoicemail(call_id, "general", "+4930111", None, 4.0, at).apply(session)
    file = folder / f"general-{call_id}.wav"
    file.write_bytes(b"RIFF")
    return file


async def test_given_a_30_day_retention_then_older_messages_lose_their_file_and_expire(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    folder = tmp_path / "voicemail"
    folder.mkdir()
    old = await _leave(sessions, folder, "1700000000.1", days_ago=31)
    recent = await _leave(sessions, folder, "1700000000.2", days_ago=29)
    beside = tmp_path / "general-1700000000.1.wav"  # same name, outside the spool
    beside.write_bytes(b"RIFF")
    inbox = VoicemailRepository(sessions)
    retention = VoicemailRetention(inbox, str(folder), 30, clock=lambda: NOW)

    assert await retention.sweep() == 1
    assert not old.exists()
    assert recent.exists()
    assert beside.exists()
    states = {v.call_id: v.status for v in await inbox.messages()}
    assert states == {"1700000000.1": VoicemailStatus.EXPIRED, "1700000000.2": VoicemailStatus.NEW}
    # Looked at again the next day: nothing more is due, a missing file is no error.
    assert await retention.sweep() == 0


async def test_an_expired_message_whose_file_is_already_gone_is_still_expired(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    gone = await _leave(sessions, tmp_path, "1700000000.3", days_ago=100)
    gone.unlink()
    inbox = VoicemailRepository(sessions)
    assert await VoicemailRetention(inbox, str(tmp_path), 90, clock=lambda: NOW).sweep() == 1
    (message,) = await inbox.messages()
    assert message.status is VoicemailStatus.EXPIRED


@pytest.mark.parametrize("days", [0, -5, 4000])
def test_a_retention_outside_1_to_3650_days_is_refused_naming_the_setting(days: int) -> None:
    with pytest.raises(ValidationError, match="voicemail_retention_days"):
        Settings(telephony={"voicemail_retention_days": days})
