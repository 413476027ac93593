"""The voicemail inbox API: listed per queue and scope, played, taken, called back, closed."""

from __future__ import annotations

import wave
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from acd import AgentLoggedIn, AgentState, VoicemailQueued
from callcenter.db import RecordVoicemail
from callcenter.live import CallInfo
from tests.integration.web.conftest import User
from tests.web_site import ADMIN, AGENT, AGENT2, CALLER, CUSTOMER, SCOPED_SUPERVISOR, Site

Login = Callable[[str, str], Awaitable[User]]
T0 = datetime.now(UTC) - timedelta(hours=1)


def _wav(path: Path, seconds: float) -> bytes:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * int(8000 * seconds))
    return path.read_bytes()


@pytest.fixture
def spool(site: Site, tmp_path: Path) -> Path:
    """The folder Asterisk writes messages into, as this backend is configured."""
    folder = tmp_path / "voicemail"
    folder.mkdir()
    ctx = site.backend.context
    telephony = ctx.settings.telephony.model_copy(update={"voicemail_dir": str(folder)})
    ctx.settings = ctx.settings.model_copy(update={"telephony": telephony})
    return folder


async def _leave(site: Site, call_id: str, queue: str, *, seconds: float = 7.0) -> int:
    site.writer.submit(RecordVoicemail(call_id, queue, CALLER, site.customer_id, seconds, T0))
    await site.flush()
    inbox = site.backend.context.voicemails
    assert inbox is not None
    (found,) = [v for v in await inbox.messages() if v.call_id == call_id]
    return found.id


async def test_given_messages_in_two_queues_then_each_user_lists_only_their_queues(
    site: Site, login: Login, spool: Path
) -> None:
    await _leave(site, "1732280000.1", "general")
    await _leave(site, "1732280000.2", "billing", seconds=12)
    agent2 = await login(*AGENT2)  # works general only
    listed = await agent2.json("GET", "/api/voicemails")
    assert [(m["queue"], m["caller_number"], m["customer_name"]) for m in listed] == [
        ("general", CALLER, CUSTOMER)
    ]
    assert listed[0]["status"] == "new"
    assert listed[0]["seconds"] == 7.0
    billing_only = await login(*SCOPED_SUPERVISOR)
    assert [m["queue"] for m in await billing_only.json("GET", "/api/voicemails")] == ["billing"]
    await billing_only.json("GET", "/api/voicemails?queue=general", status=403)
    admin = await login(*ADMIN)
    assert len(await admin.json("GET", "/api/voicemails")) == 2
    assert [m["queue"] for m in await admin.json("GET", "/api/voicemails?queue=billing")] == [
        "billing"
    ]


async def test_given_a_message_when_played_then_its_file_is_streamed_and_foreign_queues_refused(
    site: Site, login: Login, spool: Path
) -> None:
    general = await _leave(site, "1732280000.1", "general")
    billing = await _leave(site, "1732280000.2", "billing")
    sound = _wav(spool / "general-1732280000.1.wav", 2.0)
    _wav(spool / "billing-1732280000.2.wav", 1.0)
    agent2 = await login(*AGENT2)
    response = await agent2.call("GET", f"/api/voicemails/{general}/audio")
    assert response.status == 200
    assert response.headers["Content-Type"] == "audio/wav"
    assert await response.read() == sound
    refused = await agent2.call("GET", f"/api/voicemails/{billing}/audio")
    assert refused.status == 403
    scoped = await login(*SCOPED_SUPERVISOR)
    assert (await scoped.call("GET", f"/api/voicemails/{general}/audio")).status == 403


@pytest.mark.parametrize(
    "path",
    [
        "/api/voicemails/..%2F..%2Fetc%2Fpasswd/audio",
        "/api/voicemails/1%2F..%2F2/audio",
        "/api/voicemails/-1/audio",
        "/api/voicemails/%C2%B2/audio",
    ],
)
async def test_a_path_trick_in_the_id_is_refused(
    site: Site, login: Login, spool: Path, path: str
) -> None:
    await _leave(site, "1732280000.1", "general")
    _wav(spool / "general-1732280000.1.wav", 1.0)
    admin = await login(*ADMIN)
    response = await admin.call("GET", path)
    assert response.status in (404, 422)
    assert response.headers["Content-Type"].startswith("application/json")


async def test_a_message_whose_stored_call_id_leads_out_of_the_folder_plays_nothing(
    site: Site, login: Login, spool: Path, tmp_path: Path
) -> None:
    # A forged record (the call id is Asterisk's, but the row is only text): the file is
    # made from it as Asterisk would have been told, which keeps it in the folder.
    (tmp_path / "secret.wav").write_bytes(b"RIFF-not-yours")
    forged = await _leave(site, "../../secret", "general")
    admin = await login(*ADMIN)
    response = await admin.call("GET", f"/api/voicemails/{forged}/audio")
    assert response.status == 404
    assert b"not-yours" not in await response.read()


async def test_a_missing_file_is_a_clear_404(site: Site, login: Login, spool: Path) -> None:
    general = await _leave(site, "1732280000.1", "general")
    admin = await login(*ADMIN)
    body = await admin.json("GET", f"/api/voicemails/{general}/audio", status=404)
    assert "not on disk" in body["error"]["message"]


async def test_given_a_message_an_agent_takes_it_then_others_cannot_and_it_closes_once(
    site: Site, login: Login, spool: Path
) -> None:
    general = await _leave(site, "1732280000.1", "general")
    anna = await login(*AGENT)
    ben = await login(*AGENT2)
    taken = await anna.json("POST", f"/api/voicemails/{general}/take")
    assert (taken["status"], taken["agent"]) == ("in_progress", "agent1")
    await ben.json("POST", f"/api/voicemails/{general}/take", status=409)
    await ben.json(
        "POST",
        f"/api/voicemails/{general}/close",
        json={"disposition": "callback-promised"},
        status=409,
    )
    bad = await anna.json(
        "POST", f"/api/voicemails/{general}/close", json={"disposition": "nope"}, status=422
    )
    assert "unknown disposition 'nope'" in bad["error"]["message"]
    closed = await anna.json(
        "POST",
        f"/api/voicemails/{general}/close",
        json={"disposition": "callback-promised", "note": "called back, card replaced"},
    )
    assert (closed["status"], closed["disposition"], closed["note"]) == (
        "closed",
        "callback-promised",
        "called back, card replaced",
    )
    assert closed["closed_at"] is not None
    await anna.json(
        "POST",
        f"/api/voicemails/{general}/close",
        json={"disposition": "callback-promised"},
        status=409,
    )
    listed = await ben.json("GET", "/api/voicemails?status=closed")
    assert [m["id"] for m in listed] == [general]


async def test_given_a_message_when_the_agent_calls_back_then_a_callback_is_queued_for_the_caller(
    site: Site, login: Login, spool: Path
) -> None:
    general = await _leave(site, "1732280000.1", "general")
    anna = await login(*AGENT)
    after = await anna.json("POST", f"/api/voicemails/{general}/callback")
    assert after["status"] == "in_progress"
    assert after["agent"] == "agent1"
    assert after["callback_id"] is not None
    (callback,) = await anna.json("GET", "/api/callbacks")
    assert (callback["id"], callback["number"], callback["queue"]) == (
        after["callback_id"],
        CALLER,
        "general",
    )
    assert callback["customer_name"] == CUSTOMER
    waiting = site.center.calls.get(f"cb-{after['callback_id']}")
    assert waiting is not None
    assert waiting.ivr_answers["voicemail"] == str(general)


async def test_supervisors_cannot_take_or_call_back_but_may_close(
    site: Site, login: Login, spool: Path
) -> None:
    billing = await _leave(site, "1732280000.2", "billing")
    scoped = await login(*SCOPED_SUPERVISOR)
    await scoped.json("POST", f"/api/voicemails/{billing}/take", status=403)
    await scoped.json("POST", f"/api/voicemails/{billing}/callback", status=403)
    closed = await scoped.json(
        "POST", f"/api/voicemails/{billing}/close", json={"disposition": "callback-promised"}
    )
    assert closed["status"] == "closed"


async def _queue_work(site: Site, call_id: str, queue: str = "general") -> str:
    """The message of `call_id` as work in the ACD, as the PBX side queues it."""
    entry = f"vm-{call_id}"
    center = site.center
    center.calls.add(CallInfo(entry, CALLER, None, center.host.now(), queue))
    center.host.submit(VoicemailQueued(center.host.now(), entry, queue))
    await center.host.drain()
    return entry


async def _ready(site: Site, agent_id: str) -> None:
    await site.center.host.request(lambda now: AgentLoggedIn(now, agent_id, ready=True))
    await site.center.host.drain()


def _agent_state(site: Site, agent_id: str) -> tuple[AgentState, str | None]:
    view = site.center.host.acd.agent_view(agent_id, site.center.host.now())
    return view.state, view.call_id


async def test_given_a_voicemail_offered_to_an_agent_when_accepted_and_closed_then_wrap_up(
    site: Site, login: Login, spool: Path
) -> None:
    general = await _leave(site, "1732280000.1", "general")
    entry = await _queue_work(site, "1732280000.1")
    await _ready(site, "agent2")
    assert _agent_state(site, "agent2") == (AgentState.RESERVED, entry)
    ben = await login(*AGENT2)
    anna = await login(*AGENT)
    await anna.json("POST", f"/api/voicemail-work/{entry}/accept", status=409)

    accepted = await ben.json("POST", f"/api/voicemail-work/{entry}/accept")
    await site.center.host.drain()

    assert (accepted["id"], accepted["status"], accepted["agent"]) == (
        general,
        "in_progress",
        "agent2",
    )
    assert _agent_state(site, "agent2") == (AgentState.ON_CALL, entry)
    await ben.json(
        "POST", f"/api/voicemails/{general}/close", json={"disposition": "callback-promised"}
    )
    await site.center.host.drain()
    state, _ = _agent_state(site, "agent2")
    assert state is AgentState.WRAP_UP
    assert site.center.host.acd.call_view(entry, site.center.host.now()) is None


async def test_given_a_voicemail_offer_when_declined_then_it_goes_to_the_next_agent(
    site: Site, login: Login, spool: Path
) -> None:
    await _leave(site, "1732280000.1", "general")
    entry = await _queue_work(site, "1732280000.1")
    await _ready(site, "agent2")
    ben = await login(*AGENT2)

    declined = await ben.call("POST", f"/api/voicemail-work/{entry}/decline")
    assert declined.status == 204
    await site.center.host.drain()

    assert _agent_state(site, "agent2")[0] is AgentState.NOT_READY
    await _ready(site, "agent1")
    assert _agent_state(site, "agent1") == (AgentState.RESERVED, entry)


async def test_a_message_closed_in_the_inbox_while_waiting_leaves_the_acds_line(
    site: Site, login: Login, spool: Path
) -> None:
    general = await _leave(site, "1732280000.1", "general")
    entry = await _queue_work(site, "1732280000.1")
    admin = await login(*ADMIN)

    await admin.json("POST", f"/api/voicemails/{general}/close", json={"disposition": "order"})
    await site.center.host.drain()

    assert site.center.host.acd.call_view(entry, site.center.host.now()) is None
    await _ready(site, "agent1")
    assert _agent_state(site, "agent1") == (AgentState.READY, None)


async def test_a_work_item_name_that_is_not_a_voicemails_is_refused(
    site: Site, login: Login, spool: Path
) -> None:
    ben = await login(*AGENT2)
    await ben.json("POST", "/api/voicemail-work/1732280000.1/accept", status=422)
    await ben.json("POST", "/api/voicemail-work/vm-/accept", status=422)


async def test_the_voicemail_report_gives_each_queue_its_messages_and_time_to_handle(
    site: Site, login: Login, spool: Path
) -> None:
    general = await _leave(site, "1732280000.1", "general")
    await _leave(site, "1732280000.2", "general")
    await _leave(site, "1732280000.3", "billing")
    inbox = site.backend.context.voicemails
    assert inbox is not None
    await inbox.take(general, "agent1", T0 + timedelta(minutes=10))
    await inbox.close(general, "agent1", "order", "", T0 + timedelta(minutes=30))
    day = T0.date().isoformat()
    admin = await login(*ADMIN)

    report = await admin.json("GET", f"/api/reports/voicemail?since={day}&until={day}")

    rows = {row["queue"]: row for row in report["rows"]}
    assert set(rows) == {"general", "billing"}
    assert (rows["general"]["left"], rows["general"]["closed"], rows["general"]["open"]) == (
        2,
        1,
        1,
    )
    assert rows["general"]["time_to_take_s"] == 600
    assert rows["general"]["time_to_handle_s"] == 1800
    assert rows["billing"]["time_to_handle_s"] is None
    scoped = await login(*SCOPED_SUPERVISOR)
    mine = await scoped.json("GET", f"/api/reports/voicemail?since={day}&until={day}")
    assert [row["queue"] for row in mine["rows"]] == ["billing"]
    await scoped.json(
        "GET", f"/api/reports/voicemail?since={day}&until={day}&queue=general", status=403
    )
    agent = await login(*AGENT)
    await agent.json("GET", f"/api/reports/voicemail?since={day}&until={day}", status=403)
    backwards = await admin.json(
        "GET", f"/api/reports/voicemail?since={day}&until=2000-01-01", status=422
    )
    assert "until must come after since" in backwards["error"]["message"]
