"""Callback requests store the number in E.164 or refuse it, whoever asks (issue 14).

The number becomes the Exten of an Originate and the dialplan's Dial string: the store is
the one gate every request passes, from the IVR, a queue's overflow or a later caller.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db import CallbackRepository, InvalidPhoneNumber

T0 = datetime(2026, 5, 20, 8, 0, tzinfo=UTC)


async def ask(callbacks: CallbackRepository, number: str) -> str:
    stored = await callbacks.request(
        number=number, window_start=T0, window_end=T0 + timedelta(hours=4), now=T0
    )
    return stored.number


async def test_given_a_number_as_people_write_it_then_it_is_stored_in_e164(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    callbacks = CallbackRepository(sessions)

    assert await ask(callbacks, "030 5551234") == "+49305551234"
    assert await ask(callbacks, "0049 30 5551235") == "+49305551235"
    assert await ask(CallbackRepository(sessions, region="GB"), "020 7946 0958") == (
        "+442079460958"
    )
    assert [c.number for c in await callbacks.list()] == [
        "+49305551234",
        "+49305551235",
        "+442079460958",
    ]


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("123,U(evil)", r"character 4 \(','\)"),
        ("+4930555&PJSIP/999", r"character 9 \('&'\)"),
        ("110", "not a valid phone number for its country"),
        ("", "0 characters"),
    ],
)
async def test_given_a_number_that_cannot_be_dialled_then_it_is_refused_and_nothing_stored(
    sessions: async_sessionmaker[AsyncSession], number: str, why: str
) -> None:
    callbacks = CallbackRepository(sessions)

    with pytest.raises(InvalidPhoneNumber, match=f"^callback number: .*{why}") as refused:
        await ask(callbacks, number)

    assert number not in str(refused.value) or not number
    assert await callbacks.list(status=None) == []
